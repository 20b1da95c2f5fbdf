import Joi from 'joi';
import { area, clockTime, int, setting } from '../setting';

const minutes = (name: string, dflt: number, what: string) => int(name, { min: 5, max: 720, default: dflt, doc: `Length of ${what} appointment (minutes)` });

export const appointments = area('Appointments 预约 (consultations and procedures)', {
  openFrom: setting('APPOINTMENT_OPEN_FROM', clockTime(), {
    default: '09:00', doc: 'Opening hours on the Asia/Shanghai clock (HH:MM): when the first appointment may start',
  }),
  openUntil: setting('APPOINTMENT_OPEN_UNTIL', Joi.string().pattern(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/), {
    default: '18:00', doc: 'Closing time (HH:MM, up to 24:00): every appointment ends by then',
  }),
  slotMinutes: int('APPOINTMENT_SLOT_MINUTES', { min: 5, max: 240, default: 30, doc: 'Appointments start on a multiple of this many minutes (30 → 09:00, 09:30, …)' }),
  durationMinutes: {
    consultation: minutes('APPOINTMENT_CONSULTATION_MINUTES', 30, 'a consultation'),
    procedure: minutes('APPOINTMENT_PROCEDURE_MINUTES', 120, 'a procedure'),
    review: minutes('APPOINTMENT_REVIEW_MINUTES', 30, 'a review (复查)'),
  },
  maxDaysAhead: int('APPOINTMENT_MAX_DAYS_AHEAD', { min: 1, max: 730, default: 180, doc: 'How far ahead a slot may be asked for (days)' }),
  maxOpenPerClient: int('APPOINTMENT_MAX_OPEN_PER_CLIENT', {
    min: 1, max: 100, default: 3, doc: 'Open appointments (requested or confirmed, not yet started) one client may hold at once',
  }),
  reminders: {
    dayBeforeAt: setting('APPOINTMENT_REMINDER_DAY_BEFORE_AT', clockTime(), {
      default: '16:00',
      doc: 'Reminder of a confirmed appointment the day before, at this time (Asia/Shanghai, HH:MM; the\nafternoon, while the clinic can still answer and reschedule)',
    }),
    hoursBefore: int('APPOINTMENT_REMINDER_HOURS_BEFORE', { min: 1, max: 23, default: 2, doc: 'Second reminder: this many hours before the appointment' }),
    quietMarginMinutes: int('APPOINTMENT_REMINDER_QUIET_MARGIN_MINUTES', {
      min: 0, max: 240, default: 30,
      doc: 'A reminder falling in QUIET_HOURS goes this many minutes before they begin instead (a 2-hour\nreminder moved that way is dropped when the day-before one went out)',
    }),
  },
}, {
  check: (a) => (a.openFrom >= a.openUntil ? ['APPOINTMENT_OPEN_FROM must be before APPOINTMENT_OPEN_UNTIL'] : []),
});
