/**
 * 预约: asking for a consultation slot and following its status (/api/mp/appointments). Slots are
 * Beijing-time instants sent with their +08:00 offset.
 */
import { request } from '../utils/request';
import type { ApiBody, ApiOk, ItemOf } from './api';

export type Appointment = ApiOk<'/api/mp/appointments/{id}'>;
export type AppointmentKind = Appointment['kind'];
export type AppointmentStatus = Appointment['status'];
export type Appointments = ApiOk<'/api/mp/appointments'>;
export type AppointmentRequest = ApiBody<'/api/mp/appointments', 'post'>;

/**
 * The clinic's booking grid as the API is configured by default (APPOINTMENT_OPEN_FROM/UNTIL,
 * SLOT_MINUTES, CONSULTATION_MINUTES, PROCEDURE_MINUTES, MAX_DAYS_AHEAD). If the hospital changes them, the API still
 * refuses a slot outside its hours with the hours in the error, which the page shows.
 */
export const BOOKING = {
  openFrom: '09:00',
  openUntil: '18:00',
  slotMinutes: 30,
  consultationMinutes: 30,
  procedureMinutes: 120,
  maxDaysAhead: 180,
};

/**
 * Asks for a slot. Safe to retry: the same slot asked twice answers the same appointment.
 */
export function requestAppointment(body: AppointmentRequest): Promise<ApiOk<'/api/mp/appointments', 'post'>> {
  return request<ApiOk<'/api/mp/appointments', 'post'>>({ method: 'POST', path: '/api/mp/appointments', data: body, idempotent: true });
}

export type Slots = ApiOk<'/api/mp/appointment-slots'>;
/** The doctors who work at the slots of a date, with their places left (none: the clinic keeps no schedules). */
export type SlotDoctors = Slots['slots'][number];

export function appointmentSlots(date: string, kind: AppointmentKind = 'consultation'): Promise<Slots> {
  return request<Slots>({ path: '/api/mp/appointment-slots', query: { date, kind } });
}

export function listAppointments(page = 1, pageSize = 20): Promise<Appointments> {
  return request<Appointments>({ path: '/api/mp/appointments', query: { page, pageSize } });
}

export function getAppointment(id: string): Promise<Appointment> {
  return request<Appointment>({ path: `/api/mp/appointments/${encodeURIComponent(id)}` });
}

/** Cancels an own open appointment; cancelling twice is refused (409), so a retry cannot do harm. */
export function cancelAppointment(id: string): Promise<ApiOk<'/api/mp/appointments/{id}/cancel', 'post'>> {
  return request<ApiOk<'/api/mp/appointments/{id}/cancel', 'post'>>({ method: 'POST', path: `/api/mp/appointments/${encodeURIComponent(id)}/cancel`, idempotent: true });
}

/** An open appointment: asked for or confirmed, and not started yet. */
export function isOpen(a: Pick<ItemOf<Appointments>, 'status' | 'at'>, now: number = Date.now()): boolean {
  return (a.status === 'requested' || a.status === 'confirmed') && new Date(a.at).getTime() > now;
}
