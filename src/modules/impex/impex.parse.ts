import { parsePhone } from '../../shared/phone';

/** A cell as a reader hands it over: text, a number, a date (xlsx date-formatted cells) or nothing. */
export type Cell = string | number | boolean | Date | null;

/** A parsed value, or the reason the cell is not one. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** The cell as trimmed text ('' for nothing); numbers keep their digits (an id typed as a number). */
export function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return cell.toISOString();
  return String(cell).trim();
}

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

function validYmd(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** A calendar day and time of day in Asia/Shanghai as the UTC instant it is (DESIGN.md: business calendar is Shanghai). */
function shanghaiInstant(y: number, m: number, d: number, hh = 0, mm = 0, ss = 0): Date {
  return new Date(Date.UTC(y, m - 1, d, hh, mm, ss) - SHANGHAI_OFFSET_MS);
}

/**
 * An Excel serial day number as a calendar day. Excel counts 1900-01-01 as 1 and believes in a
 * 1900-02-29 (serial 60, Lotus 1-2-3's leap-year bug): serials from 61 on are one day ahead of a
 * plain count from 1899-12-31, and 60 is a day that never was.
 */
export function excelSerialDay(serial: number): Parsed<{ y: number; m: number; d: number; secondOfDay: number }> {
  if (!Number.isFinite(serial) || serial < 1) return bad('not a date (Excel day number below 1)');
  const day = Math.floor(serial);
  if (day === 60) return bad('1900-02-29 does not exist (Excel day number 60)');
  const base = day < 60 ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  const at = new Date(base + day * DAY_MS);
  const secondOfDay = Math.round((serial - day) * 86_400);
  if (at.getUTCFullYear() > 2100) return bad('not a date (Excel day number too large)');
  return ok({ y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate(), secondOfDay });
}

const TEXT_DATE = [
  // 2024-02-29, 2024/2/29, 2024.2.29, optionally with a time
  /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/,
  // 2024年2月29日, optionally with a time
  /^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$/,
];

/**
 * A date (with an optional time) as the instant it names in Asia/Shanghai. Accepted: an Excel
 * serial number (a date cell stored as a number), an xlsx date cell (exceljs hands it over as
 * the wall-clock time in UTC), and text as 2024-02-29, 2024/2/29 or 2024年2月29日 (time optional).
 * Day-month orders (29/02/2024) are refused: 03/04/2024 could be either.
 */
export function parseDate(cell: Cell): Parsed<Date> {
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) return bad('not a date');
    return ok(shanghaiInstant(cell.getUTCFullYear(), cell.getUTCMonth() + 1, cell.getUTCDate(), cell.getUTCHours(), cell.getUTCMinutes(), cell.getUTCSeconds()));
  }
  if (typeof cell === 'number' || (typeof cell === 'string' && /^\d+(\.\d+)?$/.test(cell.trim()) && !/^\d{8}$/.test(cell.trim()))) {
    const serial = excelSerialDay(Number(cell));
    if (!serial.ok) return serial;
    const { y, m, d, secondOfDay } = serial.value;
    return ok(shanghaiInstant(y, m, d, 0, 0, secondOfDay));
  }
  const text = cellText(cell);
  if (!text) return bad('empty');
  for (const re of TEXT_DATE) {
    const hit = re.exec(text);
    if (!hit) continue;
    const [y, m, d, hh = 0, mi = 0, ss = 0] = hit.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
    if (!validYmd(y, m, d)) return bad(`${text} is not a calendar day`);
    if (hh > 23 || mi > 59 || ss > 59) return bad(`${text} is not a time of day`);
    return ok(shanghaiInstant(y, m, d, hh, mi, ss));
  }
  return bad(`${text} is not a date (write 2024-02-29, 2024/2/29 or 2024年2月29日)`);
}

/** A birth date as `YYYY-MM-DD` (the Shanghai calendar day of parseDate). */
export function parseDay(cell: Cell): Parsed<string> {
  const at = parseDate(cell);
  if (!at.ok) return at;
  return ok(new Date(at.value.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10));
}

/** A phone as stored (shared/phone.ts rules: +86, spaces and dashes go; letters make it no phone). */
export function parsePhoneCell(cell: Cell): Parsed<string> {
  const text = cellText(cell);
  if (!text) return bad('empty');
  const phone = parsePhone(text);
  return phone ? ok(phone) : bad(`${text} is not a phone number`);
}

/**
 * An amount in yuan as integer fen. Text may carry ¥/￥/元/RMB and thousands commas ("¥1,234.50").
 * Rounding rule: a fraction of a fen rounds half up, on the decimal digits as written (¥0.005 → 1
 * fen, ¥0.0049 → 0), never through binary floating point; a number cell is first written out
 * with the digits a spreadsheet shows (15 significant) so 1234.5 stored as 1234.4999… is ¥1,234.50.
 * Negative amounts are refused (a refund is not an order).
 */
export function parseAmountFen(cell: Cell): Parsed<number> {
  let text: string;
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return bad('not an amount');
    text = Number(cell.toPrecision(15)).toFixed(6);
  } else {
    text = cellText(cell).replace(/^(¥|￥|RMB|CNY)\s*/i, '').replace(/\s*(元|RMB|CNY)$/i, '');
  }
  if (!text) return bad('empty');
  if (/^[-−]/.test(text)) return bad(`${cellText(cell)} is negative`);
  if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/.test(text)) return bad(`${cellText(cell)} is not an amount`);
  const [whole, frac = ''] = text.replace(/,/g, '').split('.');
  const fen = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2)) + (frac.length > 2 && frac[2] >= '5' ? 1n : 0n);
  if (fen > BigInt(Number.MAX_SAFE_INTEGER) || fen > 4_294_967_295n) return bad(`${cellText(cell)} is too large`);
  return ok(Number(fen));
}

const GENDERS: Record<string, 'female' | 'male' | 'unknown'> = {
  女: 'female', f: 'female', female: 'female', 男: 'male', m: 'male', male: 'male', 未知: 'unknown', unknown: 'unknown',
};

export function parseGender(cell: Cell): Parsed<'female' | 'male' | 'unknown'> {
  const text = cellText(cell).toLowerCase();
  if (!text) return ok('unknown');
  return GENDERS[text] ? ok(GENDERS[text]) : bad(`${cellText(cell)} is not 男/女`);
}

/** A whole number of at least 1 (a session number). */
export function parsePositiveInt(cell: Cell): Parsed<number> {
  const text = cellText(cell);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 999) return bad(`${text} is not a whole number from 1 to 999`);
  return ok(Number(text));
}

/** Free text with a length bound (an id, a name, a note). */
export function parseText(cell: Cell, max: number): Parsed<string> {
  const text = cellText(cell);
  if (!text) return bad('empty');
  if (text.length > max) return bad(`longer than ${max} characters`);
  return ok(text);
}
