export { ConsultationsService } from './consultations.service';
export type { ConsultationsDeps, ClientRef, StaffRef, TreatmentRecorder } from './consultations.shared';
export { aad as consultationAad, ENCRYPTED_TABLES as CONSULTATION_ENCRYPTED_TABLES } from './consultations.shared';
export type {
  NeedsAnalysis, PlanContent, RevisionView, ChangeRequestView, StaffPlanView, StaffPlanSummary, ClientPlanView, ClientPlanSummary,
  LetterSnapshot, IntentLetterView, AcceptInput,
} from './consultations.plans';
export { PLAN_WRITERS, PLAN_WITHDRAWERS } from './consultations.plans';
export type { AppointmentView, AppointmentEventView, StaffAppointmentView, StaffAppointmentQuery, NewAppointment, CompleteInput } from './consultations.appointments';
export type { PipelineMetrics, ChannelMetrics, SurveyMetrics, ConversionStep, StageTime, AppointmentReport, AppointmentCounts } from './consultations.metrics';
export type { DoctorScheduleView, SlotView } from './consultations.schedules';
export { reminderTimes } from './consultations.reminders';
export type { ReminderKind } from './consultations.reminders';
export { FUNNEL, median } from './consultations.metrics';
export { checkSlot, durationOf } from './consultations.hours';
export { ConsultationErrors } from './consultations.errors';
export { registerConsultationRoutes } from './consultations.routes';
export { metricsQuery, reportQuery as appointmentReportQuery } from './consultations.schema';
export * from './consultations.entity';
export { plansProposedBetween } from './consultations.performance';
