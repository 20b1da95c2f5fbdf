/**
 * Display formats: money (fen → ¥), dates in the hospital's calendar (Asia/Shanghai, UTC+8 all
 * year, no daylight saving), masked phone numbers.
 */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

/** ¥1,280 for whole yuan, ¥12.50 otherwise; '¥0' for 0. */
export function money(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return '—';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.round(fen));
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  const whole = String(yuan).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${whole}${cents ? `.${String(cents).padStart(2, '0')}` : ''}`;
}

/** 12,800 */
export function thousands(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '0';
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

interface Parts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mm: number;
  wd: number;
}

function shanghai(value: string | number | Date): Parts | undefined {
  const t = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00+08:00` : value);
  if (!Number.isFinite(t)) return undefined;
  const d = new Date(t + SHANGHAI_OFFSET_MS);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), hh: d.getUTCHours(), mm: d.getUTCMinutes(), wd: d.getUTCDay() };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 2026年3月8日 */
export function date(value: string | number | Date | null | undefined): string {
  const p = value === null || value === undefined ? undefined : shanghai(value);
  return p ? `${p.y}年${p.m}月${p.d}日` : '—';
}

/** 2026-03-08 (for pickers and the API's YYYY-MM-DD fields) */
export function isoDate(value: string | number | Date): string {
  const p = shanghai(value);
  return p ? `${p.y}-${pad(p.m)}-${pad(p.d)}` : '';
}

/** 3月8日 周日 14:30 */
export function dateTime(value: string | number | Date | null | undefined): string {
  const p = value === null || value === undefined ? undefined : shanghai(value);
  return p ? `${p.m}月${p.d}日 周${WEEKDAYS[p.wd]} ${pad(p.hh)}:${pad(p.mm)}` : '—';
}

/** 14:30 */
export function time(value: string | number | Date): string {
  const p = shanghai(value);
  return p ? `${pad(p.hh)}:${pad(p.mm)}` : '';
}

/** Whole calendar days (Asia/Shanghai) from `now` to `value`: 0 today, 1 tomorrow, -1 yesterday. */
export function daysFrom(value: string | number | Date, now: number = Date.now()): number {
  const a = shanghai(value);
  const b = shanghai(now);
  if (!a || !b) return 0;
  return Math.round((Date.UTC(a.y, a.m - 1, a.d) - Date.UTC(b.y, b.m - 1, b.d)) / 86400000);
}

/** 今天 14:30 / 明天 14:30 / 3月8日 周日 14:30 */
export function friendlyDateTime(value: string | number | Date, now: number = Date.now()): string {
  const days = daysFrom(value, now);
  if (days === 0) return `今天 ${time(value)}`;
  if (days === 1) return `明天 ${time(value)}`;
  if (days === 2) return `后天 ${time(value)}`;
  return dateTime(value);
}

/** 138****5678; keeps an already masked number as is. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  if (phone.includes('*')) return phone;
  const digits = phone.replace(/^\+86/, '').replace(/\D/g, '');
  if (digits.length < 7) return digits;
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** Age in whole years on `now` (Asia/Shanghai) for a YYYY-MM-DD birth date. */
export function ageOn(birthDate: string, now: number = Date.now()): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  const today = shanghai(now);
  if (!m || !today) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = today.y - y;
  if (today.m < mo || (today.m === mo && today.d < d)) age -= 1;
  return age;
}
