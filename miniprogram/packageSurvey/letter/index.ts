/**
 * 意向书: the frozen copy of the plan the client accepted and the appointment they asked for, with
 * the appointment as it stands now (confirmed, moved or cancelled by the clinic). Query: id.
 */
import { getLetter, type IntentLetter } from '../../services/plans';
import { isOpen, type Appointment } from '../../services/appointments';
import { REMINDER_TEMPLATES } from '../../services/subscriptions';
import { date, dateTime, money } from '../../utils/format';
import { isApiError } from '../../utils/request';
import { APPOINTMENT_KIND_LABELS, APPOINTMENT_STATUS } from '../lib/labels';

interface View {
  number: string;
  confirmedAt: string;
  doctor: string;
  revision: number;
  surgical: string;
  nonSurgical: string;
  price: string;
  recovery: string;
  riskPlan: string;
  bookedKind: string;
  bookedAt: string;
  appointment: { at: string; statusText: string; tone: string; moved: boolean; open: boolean } | null;
}

function viewOf(l: IntentLetter): View {
  const s = l.snapshot;
  const a: Appointment | null = l.appointment;
  const status = a ? APPOINTMENT_STATUS[a.status] : null;
  return {
    // A short reference the client can read out on the phone.
    number: l.id.slice(0, 8).toUpperCase(),
    confirmedAt: date(l.confirmedAt),
    doctor: s?.doctor?.name ?? '',
    revision: l.revision,
    surgical: s?.options.surgical?.description ?? '',
    nonSurgical: s?.options.nonSurgical?.description ?? '',
    price: s ? (s.priceMinFen === s.priceMaxFen ? money(s.priceMinFen) : `${money(s.priceMinFen)} – ${money(s.priceMaxFen)}`) : '',
    recovery: s ? (s.recoveryDays ? `约 ${s.recoveryDays} 天` : '几乎不影响日常') : '',
    riskPlan: s?.riskPlan ?? '',
    bookedKind: s ? APPOINTMENT_KIND_LABELS[s.appointment.kind] : '',
    bookedAt: s ? dateTime(s.appointment.at) : '',
    appointment: a && status
      ? { at: dateTime(a.at), statusText: status.text, tone: status.tone, moved: Boolean(s && new Date(s.appointment.at).getTime() !== new Date(a.at).getTime()), open: isOpen(a) }
      : null,
  };
}

Page({
  data: {
    loading: true,
    error: '',
    letter: null as View | null,
    remindTemplates: [REMINDER_TEMPLATES.followup],
  },

  letterId: '',

  onLoad(query: Record<string, string | undefined>): Promise<void> {
    this.letterId = query.id ?? '';
    return this.load();
  },

  onRetry(): Promise<void> {
    return this.load();
  },

  async load(): Promise<void> {
    this.setData({ error: '' });
    try {
      this.setData({ loading: false, letter: viewOf(await getLetter(this.letterId)) });
    } catch (e) {
      this.setData({ loading: false, error: isApiError(e) ? e.friendly : '意向书没有加载出来，请稍后再试' });
    }
  },

  onAppointments(): void {
    wx.navigateTo({ url: '/packageSurvey/appointments/index' });
  },
});
