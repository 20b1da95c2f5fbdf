/** Chinese labels of the consultation statuses, shared by the plan, letter and appointments pages. */
import type { AppointmentKind, AppointmentStatus } from '../../services/appointments';

export const APPOINTMENT_KIND_LABELS: Record<AppointmentKind, string> = {
  consultation: '面诊',
  procedure: '治疗/手术',
  review: '复查',
};

export const APPOINTMENT_STATUS: Record<AppointmentStatus, { text: string; tone: string }> = {
  requested: { text: '待确认', tone: 'tag-warning' },
  confirmed: { text: '已确认', tone: 'tag-success' },
  cancelled: { text: '已取消', tone: '' },
  completed: { text: '已完成', tone: 'tag-primary' },
  no_show: { text: '未到院', tone: '' },
};
