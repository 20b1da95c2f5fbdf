/**
 * <slot-picker duration="{{30}}" error="{{slotError}}" bind:change="onSlot" />
 *
 * Picks a consultation slot: the next two weeks as day chips (any later day up to the booking
 * limit through a date picker), then the day's start times; past times are greyed out. Fires
 * `change` with { at, label } (at: '2026-06-02T10:00:00+08:00'), or { at: '' } while incomplete.
 */
import { BOOKING } from '../../../services/appointments';
import { bookableDays, dayOf, instantOf, shanghaiDate, slotLabel, slotsOf, type Day, type Slot } from '../../lib/slots';

const DAYS_SHOWN = 14;

Component({
  options: { addGlobalClass: true },
  properties: {
    duration: { type: Number, value: BOOKING.consultationMinutes },
    error: { type: String, value: '' },
  },
  data: {
    days: [] as Day[],
    date: '',
    slots: [] as Slot[],
    time: '',
    pickerStart: '',
    pickerEnd: '',
    extraDay: null as Day | null,
    /** The duration the slots were worked out for. */
    applied: 0,
  },
  lifetimes: {
    attached() {
      this.reset();
    },
  },
  observers: {
    // A longer appointment (a procedure) fits fewer start times.
    // (Observers fire on every update of the page's data, so only a real change counts.)
    duration(duration: number) {
      if (this.data.applied && duration !== this.data.applied) this.reset();
    },
  },
  methods: {
    reset() {
      const now = Date.now();
      const days = bookableDays(this.data.duration as number, DAYS_SHOWN, now);
      const hadTime = Boolean(this.data.time);
      this.setData({ days, applied: this.data.duration as number, pickerStart: shanghaiDate(now), pickerEnd: shanghaiDate(now, BOOKING.maxDaysAhead - 1) });
      const keep = days.some((d) => d.date === this.data.date) ? (this.data.date as string) : days[0]?.date;
      if (keep) this.pickDate(keep);
      // A time that no longer fits is cleared; the page hears of it after its own update has finished.
      if (hadTime && !this.data.time) wx.nextTick(() => this.emit());
    },

    pickDate(date: string) {
      const slots = slotsOf(date, this.data.duration as number);
      const time = slots.some((s) => s.time === this.data.time && !s.disabled) ? (this.data.time as string) : '';
      this.setData({ date, slots, time });
    },

    onDay(e: WechatMiniprogram.BaseEvent) {
      this.setData({ extraDay: null });
      this.pickDate(e.currentTarget.dataset.date as string);
      this.emit();
    },

    onMoreDate(e: WechatMiniprogram.PickerChange) {
      const date = String(e.detail.value);
      const shown = (this.data.days as Day[]).some((d) => d.date === date);
      this.setData({ extraDay: shown ? null : dayOf(date) });
      this.pickDate(date);
      this.emit();
    },

    onTime(e: WechatMiniprogram.BaseEvent) {
      if (e.currentTarget.dataset.disabled) return;
      this.setData({ time: e.currentTarget.dataset.time as string });
      this.emit();
    },

    emit() {
      const { date, time } = this.data as { date: string; time: string };
      this.triggerEvent('change', date && time ? { at: instantOf(date, time), label: slotLabel(date, time) } : { at: '', label: '' });
    },
  },
});
