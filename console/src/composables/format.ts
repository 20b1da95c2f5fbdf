/** Business dates are Asia/Shanghai wherever the desk is (DOMAIN.md: the business calendar). */
const TZ = 'Asia/Shanghai';
const dateTime = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
const dateOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });
const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' });

export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function formatDate(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : dateOnly.format(d);
}

/** YYYY-MM-DD of an instant in Shanghai (the API's date filters). */
export function shanghaiDay(at: Date): string {
  return ymd.format(at);
}

/** Fen → "¥1,234.50". */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return '—';
  return `¥${(fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A deadline as people read it: "还剩 3小时20分" or "已超时 1天2小时"; overdue ones are shown red. */
export function countdown(due: string | Date, now: Date): { text: string; overdue: boolean } {
  const ms = new Date(due).getTime() - now.getTime();
  const overdue = ms < 0;
  let minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  minutes -= days * 1440;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  const span = days > 0 ? `${days}天${hours}小时` : hours > 0 ? `${hours}小时${minutes}分` : `${minutes}分钟`;
  return { text: overdue ? `已超时 ${span}` : `还剩 ${span}`, overdue };
}

export const STAGE_LABELS: Record<string, string> = {
  lead: '线索', surveyed: '意向客户', consulting: '咨询期', plan_proposed: '方案已出', plan_accepted: '已确认方案', booked: '已预约',
  treated: '已治疗', post_op: '术后恢复期', dormant: '沉睡', lost: '流失',
};
export const stageLabel = (s: string | null | undefined) => (s ? STAGE_LABELS[s] ?? s : '—');
export const GENDER_LABELS: Record<string, string> = { female: '女', male: '男', unknown: '未知' };

/** A questionnaire answer as text: option labels joined, numbers and dates as they are. */
export function answerText(answer: unknown): string {
  if (answer === null || answer === undefined || answer === '') return '—';
  if (Array.isArray(answer)) return answer.map(answerText).join('、');
  if (typeof answer === 'object') {
    const a = answer as { label?: unknown; value?: unknown };
    if (typeof a.label === 'string') return a.label;
    if (a.value !== undefined) return answerText(a.value);
    return Object.values(answer).map(answerText).join('、');
  }
  return String(answer);
}
