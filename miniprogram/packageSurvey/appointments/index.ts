/**
 * 预约: the client's appointments with their status, asking for a consultation slot, cancelling an
 * open one, and a "remind me" (one-time subscription) for the next visit. Query: new=1 opens the form.
 */
import { BOOKING, appointmentSlots, cancelAppointment, isOpen, listAppointments, requestAppointment, type Appointment } from '../../services/appointments';
import { REMINDER_TEMPLATES } from '../../services/subscriptions';
import { friendlyDateTime } from '../../utils/format';
import { isApiError, type ApiError } from '../../utils/request';
import { APPOINTMENT_KIND_LABELS, APPOINTMENT_STATUS } from '../lib/labels';
import { slotErrorText } from '../lib/slots';

interface Row {
  id: string;
  kind: string;
  at: string;
  statusText: string;
  tone: string;
  note: string;
  open: boolean;
  letterId: string;
}

function rowOf(a: Appointment, now: number): Row {
  const s = APPOINTMENT_STATUS[a.status] ?? APPOINTMENT_STATUS.requested;
  return {
    id: a.id, kind: APPOINTMENT_KIND_LABELS[a.kind] ?? '面诊', at: friendlyDateTime(a.at, now), statusText: s.text, tone: s.tone, note: a.note ?? '',
    open: isOpen(a, now), letterId: a.letterId ?? '',
  };
}

const errorOf = (e: unknown): ApiError | undefined => (isApiError(e) ? e : undefined);

Page({
  data: {
    loading: true,
    error: '',
    upcoming: [] as Row[],
    past: [] as Row[],
    hasMore: false,
    page: 1,
    showForm: false,
    duration: BOOKING.consultationMinutes,
    slotAt: '',
    slotLabel: '',
    slotError: '',
    note: '',
    /** The doctors free at the chosen slot; the first is "any doctor". Empty where the clinic keeps no schedules. */
    doctors: [] as { id: string; label: string }[],
    doctorIndex: 0,
    busy: false,
    cancelling: '',
    remindTemplates: [REMINDER_TEMPLATES.followup],
  },

  items: [] as Appointment[],

  onLoad(query: Record<string, string | undefined>): void {
    this.items = [];
    if (query.new === '1') this.setData({ showForm: true });
  },

  onShow(): Promise<void> {
    return this.load();
  },

  async onPullDownRefresh(): Promise<void> {
    await this.load();
    wx.stopPullDownRefresh();
  },

  onRetry(): Promise<void> {
    return this.load();
  },

  async load(): Promise<void> {
    this.setData({ error: '' });
    try {
      const res = await listAppointments(1);
      this.items = res.items;
      this.show(res.page, res.hasMore);
    } catch (e) {
      this.setData({ loading: false, error: errorOf(e)?.friendly ?? '预约没有加载出来，请稍后再试' });
    }
  },

  async onReachBottom(): Promise<void> {
    if (!this.data.hasMore || this.data.loading) return;
    try {
      const res = await listAppointments(this.data.page + 1);
      this.items = this.items.concat(res.items);
      this.show(res.page, res.hasMore);
    } catch (e) {
      wx.showToast({ title: errorOf(e)?.friendly ?? '加载失败，请稍后再试', icon: 'none' });
    }
  },

  /** Upcoming (open) visits soonest first on top; the rest as history, latest first. */
  show(page: number, hasMore: boolean): void {
    const now = Date.now();
    const rows = this.items.map((a) => ({ a, row: rowOf(a, now) }));
    const upcoming = rows.filter((x) => x.row.open).sort((x, y) => new Date(x.a.at).getTime() - new Date(y.a.at).getTime()).map((x) => x.row);
    const past = rows.filter((x) => !x.row.open).map((x) => x.row);
    this.setData({ loading: false, upcoming, past, page, hasMore });
  },

  // ---------------------------------------------------------------- ask for a slot

  onNew(): void {
    this.setData({ showForm: true, slotError: '' });
  },

  onCloseForm(): void {
    this.setData({ showForm: false });
  },

  onSlot(e: WechatMiniprogram.CustomEvent<{ at: string; label: string }>): Promise<void> {
    this.setData({ slotAt: e.detail.at, slotLabel: e.detail.label, slotError: '', doctors: [], doctorIndex: 0 });
    return e.detail.at ? this.loadDoctors(e.detail.at) : Promise.resolve();
  },

  /** Who works at the chosen slot with a place left; the booking then holds that doctor's place. */
  async loadDoctors(at: string): Promise<void> {
    try {
      const { slots } = await appointmentSlots(at.slice(0, 10));
      const slot = slots.find((s) => new Date(s.at).getTime() === new Date(at).getTime());
      const free = (slot?.doctors ?? []).filter((d) => d.free > 0);
      if (this.data.slotAt !== at) return;
      this.setData({ doctors: free.length ? [{ id: '', label: '不指定医生' }, ...free.map((d) => ({ id: d.id, label: `${d.name}（余 ${d.free} 位）` }))] : [], doctorIndex: 0 });
    } catch {
      // Without the list the client still asks for the time; staff name the doctor when confirming.
    }
  },

  onDoctor(e: WechatMiniprogram.PickerChange): void {
    this.setData({ doctorIndex: Number(e.detail.value) });
  },

  onNote(e: WechatMiniprogram.Input): void {
    this.setData({ note: String(e.detail.value ?? '') });
  },

  async onRequest(): Promise<void> {
    if (!this.data.slotAt) {
      this.setData({ slotError: '请选择一个到院时间' });
      return;
    }
    if (this.data.busy) return;
    this.setData({ busy: true });
    const note = this.data.note.trim();
    try {
      const doctor = this.data.doctors[this.data.doctorIndex]?.id;
      await requestAppointment({ at: this.data.slotAt, ...(note ? { note } : {}), ...(doctor ? { doctor } : {}) });
      this.setData({ busy: false, showForm: false, note: '', slotAt: '' });
      wx.showToast({ title: '已提交，顾问确认后会通知您', icon: 'none', duration: 2500 });
      await this.load();
    } catch (err) {
      this.setData({ busy: false });
      const e = errorOf(err);
      const slot = e ? slotErrorText(e) : '';
      if (slot) this.setData({ slotError: slot });
      else wx.showToast({ title: e?.friendly ?? '预约没有成功，请稍后再试', icon: 'none', duration: 2500 });
    }
  },

  // ---------------------------------------------------------------- cancel

  async onCancel(e: WechatMiniprogram.BaseEvent): Promise<void> {
    const id = e.currentTarget.dataset.id as string;
    const row = this.data.upcoming.find((r) => r.id === id);
    if (!row || this.data.cancelling) return;
    const answer = await wx.showModal({ title: '取消预约', content: `确定取消 ${row.at} 的${row.kind}吗？`, confirmText: '取消预约', cancelText: '保留', confirmColor: '#d0524c' });
    if (!answer.confirm) return;
    this.setData({ cancelling: id });
    try {
      await cancelAppointment(id);
      wx.showToast({ title: '已取消', icon: 'none' });
    } catch (err) {
      wx.showToast({ title: errorOf(err)?.friendly ?? '取消没有成功，请稍后再试', icon: 'none' });
    }
    this.setData({ cancelling: '' });
    await this.load();
  },

  onLetter(e: WechatMiniprogram.BaseEvent): void {
    wx.navigateTo({ url: `/packageSurvey/letter/index?id=${e.currentTarget.dataset.id as string}` });
  },
});
