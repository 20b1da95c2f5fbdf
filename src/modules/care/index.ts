import type { Task } from '../../shared/task';
import type { CareService } from './care.service';

export { CareService } from './care.service';
export type { CareDeps, TaskSink, SurveyOpener, FollowupTemplateView, FollowupStepView, PhotoStepView } from './care.service';
export { CareErrors } from './care.errors';
export type { RecordTreatmentInput, TreatmentView } from './care.treatments';
export { treatmentAad } from './care.treatments';
export { registerCareRoutes } from './care.routes';
export { TreatmentExports } from './care.export';
export * from './care.entity';

/** Every minute: due follow-up steps become outbox messages or staff tasks (safe twice: SKIP LOCKED + step status). */
export const followupDueTask: Task<{ care: CareService }> = {
  id: 'followup-due',
  schedule: '* * * * *',
  description: 'Turn due follow-up steps (48h, 7/30/90 days, effect tracking, repurchase) into messages and staff tasks',
  run: async ({ services, now }) => ({ items: await services.care.enqueueDue(now) }),
};
export { TreatmentImports } from './care.import';
export type { ImportedTreatment } from './care.import';
export { treatmentsByDoctorBetween } from './care.performance';
