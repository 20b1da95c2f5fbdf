import type { Cell, Parsed } from './impex.parse';
import { cellText, parseAmountFen, parseDate, parseDay, parseGender, parsePhoneCell, parsePositiveInt, parseText } from './impex.parse';

export const IMPORT_KINDS = ['clients', 'orders', 'treatments'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** A field an import fills: its parser, whether a row needs it, and the headers that name it. */
interface FieldSpec {
  key: string;
  label: string;
  required: boolean;
  /** Headers (lower-cased, spaces removed) that map to the field without asking. */
  headers: string[];
  parse(cell: Cell): Parsed<unknown>;
}

const text = (max: number) => (cell: Cell) => parseText(cell, max);
const optionalText = (max: number) => (cell: Cell): Parsed<string | null> => (cellText(cell) ? parseText(cell, max) : { ok: true, value: null });
const optional = <T>(p: (c: Cell) => Parsed<T>) => (cell: Cell): Parsed<T | null> => (cellText(cell) ? p(cell) : { ok: true, value: null });

const SOURCE_ID: FieldSpec = { key: 'sourceId', label: '原系统编号', required: true, headers: ['id', 'sourceid', '编号', '原系统编号', '客户编号', '档案号'], parse: text(64) };

/** The fields of each kind, in the order the mapping step shows them. */
export const FIELDS: Record<ImportKind, FieldSpec[]> = {
  clients: [
    SOURCE_ID,
    { key: 'name', label: '姓名', required: true, headers: ['name', '姓名', '客户姓名', '名字'], parse: text(64) },
    { key: 'phone', label: '手机号', required: true, headers: ['phone', 'mobile', '手机', '手机号', '电话', '联系电话', '手机号码'], parse: parsePhoneCell },
    { key: 'gender', label: '性别', required: false, headers: ['gender', 'sex', '性别'], parse: parseGender },
    { key: 'birthDate', label: '出生日期', required: false, headers: ['birthdate', 'birthday', '生日', '出生日期'], parse: optional(parseDay) },
    { key: 'address', label: '地址', required: false, headers: ['address', '地址', '住址'], parse: optionalText(500) },
    { key: 'sourceChannel', label: '来源渠道', required: false, headers: ['channel', 'source', 'sourcechannel', '来源', '渠道', '来源渠道'], parse: optionalText(64) },
    { key: 'consultant', label: '专属咨询师', required: false, headers: ['consultant', '咨询师', '专属咨询师', '客户经理'], parse: optionalText(64) },
    { key: 'createdAt', label: '建档日期', required: false, headers: ['createdat', 'created', '建档日期', '建档时间', '登记日期'], parse: optional(parseDate) },
  ],
  orders: [
    { ...SOURCE_ID, headers: ['id', 'orderid', 'orderno', '订单号', '订单编号', '原系统编号'] },
    { key: 'client', label: '客户编号', required: true, headers: ['client', 'clientid', 'customerid', '客户编号', '客户id', '档案号'], parse: text(64) },
    { key: 'project', label: '项目', required: true, headers: ['project', 'projectcode', 'item', '项目', '项目编码', '项目名称'], parse: text(64) },
    { key: 'amountFen', label: '实付金额', required: true, headers: ['amount', 'paid', '金额', '实付金额', '实收金额', '支付金额'], parse: parseAmountFen },
    { key: 'paidAt', label: '支付日期', required: true, headers: ['paidat', 'date', 'paydate', '支付日期', '付款日期', '日期', '支付时间'], parse: parseDate },
    { key: 'doctor', label: '医师', required: true, headers: ['doctor', '医师', '医生', '主诊医师'], parse: text(64) },
  ],
  treatments: [
    { ...SOURCE_ID, headers: ['id', 'treatmentid', '施术编号', '治疗编号', '原系统编号'] },
    { key: 'order', label: '订单号', required: true, headers: ['order', 'orderid', 'orderno', '订单号', '订单编号'], parse: text(64) },
    { key: 'project', label: '项目', required: true, headers: ['project', 'projectcode', '项目', '项目编码', '项目名称'], parse: text(64) },
    { key: 'performedAt', label: '施术日期', required: true, headers: ['performedat', 'date', '施术日期', '治疗日期', '日期', '施术时间'], parse: parseDate },
    { key: 'doctor', label: '医师', required: false, headers: ['doctor', '医师', '医生', '施术医师'], parse: optionalText(64) },
    { key: 'sessionNo', label: '疗程次数', required: false, headers: ['session', 'sessionno', '次数', '疗程次数', '第几次'], parse: optional(parsePositiveInt) },
  ],
};

/** Which column (0-based) feeds each field; a field left out is not imported. */
export type ColumnMapping = Record<string, number>;

function headerKey(h: string): string {
  return h.toLowerCase().replace(/[\s_\-（）()]/g, '');
}

/** The mapping a header row suggests: each field takes the first column whose header names it. */
export function guessMapping(kind: ImportKind, headers: string[]): ColumnMapping {
  const keys = headers.map(headerKey);
  const mapping: ColumnMapping = {};
  const taken = new Set<number>();
  for (const f of FIELDS[kind]) {
    const col = keys.findIndex((k, i) => !taken.has(i) && f.headers.includes(k));
    if (col >= 0) {
      mapping[f.key] = col;
      taken.add(col);
    }
  }
  return mapping;
}

/** A problem with one row: spreadsheet line number (1 = header), the column's header, and why. */
export interface RowProblem {
  line: number;
  column: string | null;
  reason: string;
}

/** Fields missing from a mapping that every row needs, as problems on the header line. */
export function mappingProblems(kind: ImportKind, mapping: ColumnMapping, headers: string[]): RowProblem[] {
  const problems: RowProblem[] = [];
  for (const f of FIELDS[kind]) {
    const col = mapping[f.key];
    if (col === undefined) {
      if (f.required) problems.push({ line: 1, column: f.label, reason: `no column is mapped to ${f.label} (${f.key})` });
    } else if (!Number.isInteger(col) || col < 0 || col >= headers.length) {
      problems.push({ line: 1, column: f.label, reason: `column ${col} does not exist` });
    }
  }
  for (const key of Object.keys(mapping)) {
    if (!FIELDS[kind].some((f) => f.key === key)) problems.push({ line: 1, column: key, reason: `${kind} have no field ${key}` });
  }
  return problems;
}

/** One row's values by field key, or its problems. */
export function parseRow(kind: ImportKind, mapping: ColumnMapping, headers: string[], line: number, cells: Cell[]): { values: Record<string, unknown>; problems: RowProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: RowProblem[] = [];
  for (const f of FIELDS[kind]) {
    const col = mapping[f.key];
    if (col === undefined) continue;
    const cell = cells[col] ?? null;
    if (!cellText(cell) && !(cell instanceof Date)) {
      if (f.required) problems.push({ line, column: headers[col] ?? f.label, reason: `${f.label} is empty` });
      else values[f.key] = f.parse(null).ok ? (f.parse(null) as { value: unknown }).value : null;
      continue;
    }
    const parsed = f.parse(cell);
    if (parsed.ok) values[f.key] = parsed.value;
    else problems.push({ line, column: headers[col] ?? f.label, reason: parsed.reason });
  }
  return { values, problems };
}
