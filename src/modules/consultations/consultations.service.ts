import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../audit';
import { AppointmentsService } from './consultations.appointments';
import { AppointmentExports } from './consultations.appointments-export';
import { PipelineMetricsService } from './consultations.metrics';
import { PlansService } from './consultations.plans';
import { DoctorSchedules } from './consultations.schedules';
import { ConsultationsDeps, Support } from './consultations.shared';

/**
 * The doctor's plan and the client's intent letter (`plans`), appointments (`appointments`) with
 * the doctors' schedules (`schedules`) and the director's process metrics (`metrics`). One object on `Services`.
 */
export class ConsultationsService {
  readonly plans: PlansService;
  readonly appointments: AppointmentsService;
  /** The appointment list as a file. */
  readonly appointmentExports: AppointmentExports;
  readonly metrics: PipelineMetricsService;
  /** Doctors' working hours, slot capacity and the slots a booking can take. */
  readonly schedules: DoctorSchedules;

  constructor(deps: ConsultationsDeps) {
    const support = new Support(deps);
    this.schedules = new DoctorSchedules(support);
    this.appointments = new AppointmentsService(support, this.schedules);
    this.appointmentExports = new AppointmentExports(support);
    this.plans = new PlansService(support, this.appointments);
    this.metrics = new PipelineMetricsService(support);
  }

  /**
   * For ClientsService.addDataHooks (PIPL), each inside the client's transaction: withdrawing the
   * health consent erases the plans' health content (see PlansService.eraseHealth); deleting the
   * account erases plans, letters and appointment notes; the export carries plans shown to the
   * client, intent letters and appointments.
   */
  readonly clientDataHooks = {
    onHealthWithdrawn: (m: EntityManager, clientId: number): Promise<void> => this.plans.eraseHealth(m, clientId),
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await this.plans.eraseAll(m, clientId);
      await this.appointments.eraseFor(m, clientId, SYSTEM_ACTOR);
    },
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => ({
      ...(await this.plans.exportFor(m, clientId)),
      appointments: await this.appointments.exportFor(m, clientId),
    }),
  };
}
