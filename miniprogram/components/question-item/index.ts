/**
 * <question-item question="{{q}}" value="{{answer}}" error="{{message}}" number="{{3}}" bind:change="onAnswer" />
 *
 * One question of a questionnaire, every type of the API's templates: single choice, multiple
 * choice, scale, number, short text, long text, date and the body-area picker. Shows the required
 * mark, the range hints and the error under the question. Fires `change` with { id, value } where
 * value is the new answer (null when cleared); the page keeps the answers, validates and saves.
 */
import { hintOf, readable, toggleOption } from './hints';

interface Option {
  value: string;
  label: string;
  none?: boolean;
}
interface Question {
  id: string;
  type: string;
  title: string;
  help?: string;
  required?: boolean;
  sensitive?: boolean;
  options?: Option[];
  min?: number;
  max?: number;
  decimals?: number;
  unit?: string;
  moneyUnitFen?: number;
  dateRange?: 'past' | 'future';
  minLabel?: string;
  maxLabel?: string;
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const TEXT_MAX: Record<string, number> = { text: 200, textarea: 2000 };
const today = () => new Date(Date.now() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);

function dateText(v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : '';
}

Component({
  options: { addGlobalClass: true },
  properties: {
    question: { type: Object, value: {} },
    // Any answer shape: an option value, option values, a number or a text.
    value: { type: null, value: null },
    error: { type: String, value: '' },
    number: { type: Number, value: 0 },
  },
  data: {
    kind: '',
    options: [] as (Option & { on: boolean })[],
    picked: [] as string[],
    scale: [] as { n: number; on: boolean }[],
    text: '',
    length: 0,
    maxLength: 0,
    hint: '',
    readable: '',
    dateStart: '1900-01-01',
    dateEnd: '2100-12-31',
    dateText: '',
  },
  observers: {
    'question, value': function (this: WechatMiniprogram.Component.TrivialInstance, q: Question, v: unknown) {
      if (!q || !q.id) return;
      const picked = Array.isArray(v) ? (v as string[]) : typeof v === 'string' && q.type === 'single' ? [v] : [];
      const patch: Record<string, unknown> = {
        kind: q.type,
        options: (q.options ?? []).map((o) => ({ ...o, on: picked.includes(o.value) })),
        picked,
        hint: hintOf(q),
        readable: readable(q, v),
      };
      if (q.type === 'scale' && q.min !== undefined && q.max !== undefined) {
        const points: { n: number; on: boolean }[] = [];
        for (let n = q.min; n <= q.max; n++) points.push({ n, on: v === n });
        patch.scale = points;
      }
      if (q.type === 'text' || q.type === 'textarea') {
        const text = typeof v === 'string' ? v : '';
        // Setting an input's value while the client types moves the cursor: only when it really changed.
        if (text !== (this.data as { text: string }).text) patch.text = text;
        patch.length = [...text].length;
        patch.maxLength = Math.min(q.max ?? TEXT_MAX[q.type], TEXT_MAX[q.type]);
      }
      if (q.type === 'number') {
        // Keep what is being typed ("12." while typing 12.5) unless the answer really changed.
        const typed = (this.data as { text: string }).text;
        if (typeof v === 'number') {
          if (typed === '' || Number(typed) !== v) patch.text = String(v);
        } else if (typed !== '' && Number.isFinite(Number(typed))) {
          patch.text = ''; // cleared by the page
        }
      }
      if (q.type === 'date') {
        patch.dateStart = q.dateRange === 'future' ? today() : '1900-01-01';
        patch.dateEnd = q.dateRange === 'past' ? today() : '2100-12-31';
        patch.dateText = typeof v === 'string' ? dateText(v) : '';
      }
      this.setData(patch);
    },
  },
  methods: {
    emit(value: unknown) {
      const q = this.data.question as Question;
      this.triggerEvent('change', { id: q.id, value });
    },

    onSingle(e: WechatMiniprogram.BaseEvent) {
      this.emit(e.currentTarget.dataset.value as string);
    },

    onToggle(e: WechatMiniprogram.BaseEvent | WechatMiniprogram.CustomEvent<{ value: string }>) {
      const value = ((e as WechatMiniprogram.CustomEvent<{ value: string }>).detail?.value ?? e.currentTarget.dataset.value) as string;
      const next = toggleOption(this.data.question as Question, this.data.picked as string[], value);
      if (!next) return;
      if ('tooMany' in next) {
        wx.showToast({ title: `最多选择 ${next.tooMany} 项`, icon: 'none' });
        return;
      }
      this.emit(next.answer);
    },

    onScale(e: WechatMiniprogram.BaseEvent) {
      this.emit(Number(e.currentTarget.dataset.n));
    },

    onNumber(e: WechatMiniprogram.Input) {
      const raw = String(e.detail.value ?? '').trim();
      this.setData({ text: raw });
      if (raw === '') return this.emit(null);
      const n = Number(raw);
      // A half-typed number ("12.") is 12 already; something that is no number is not sent at all.
      this.emit(Number.isFinite(n) ? n : null);
    },

    onText(e: WechatMiniprogram.Input) {
      const text = String(e.detail.value ?? '');
      this.setData({ text, length: [...text].length });
      this.emit(text.trim() === '' ? null : text);
    },

    onDate(e: WechatMiniprogram.PickerChange) {
      this.emit(String(e.detail.value));
    },

    onClear() {
      this.emit(null);
    },
  },
});
