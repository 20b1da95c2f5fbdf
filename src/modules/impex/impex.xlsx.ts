import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Cell } from './impex.parse';

// unzipper ships without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const unzipper = require('unzipper') as { Parse(opts: { forceStream: true }): NodeJS.ReadWriteStream };
interface ZipEntry extends Readable { path: string; autodrain(): { promise(): Promise<void> } }

type Opener = () => Readable;

/**
 * A streaming reader of one xlsx sheet's rows. Not exceljs' WorkbookReader: it decodes each chunk
 * of XML on its own (no streaming UTF-8 decoder), so a Chinese character split across two chunks
 * came out as "��" — in a 100,000-row sheet, dozens of names and genders. Here the XML goes
 * through a StringDecoder into saxes. The small parts (workbook, relations, styles, shared
 * strings) are read first in their own pass; the sheet is then streamed, holding one row at a time.
 */
export interface SheetRef { name: string; path: string }

async function* entries(open: Opener): AsyncGenerator<ZipEntry> {
  const zip = open().pipe(unzipper.Parse({ forceStream: true }));
  for await (const entry of zip as AsyncIterable<ZipEntry>) yield entry;
}

async function textOf(entry: ZipEntry): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of entry) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Feeds a zip entry through saxes, decoding UTF-8 across chunk boundaries; yields after each chunk. */
async function* sax(entry: ZipEntry, parser: SaxesParser): AsyncGenerator<void> {
  const decoder = new StringDecoder('utf8');
  for await (const c of entry) {
    parser.write(decoder.write(c as Buffer));
    yield;
  }
  parser.write(decoder.end());
  parser.close();
  yield;
}

interface WorkbookParts { sheets: SheetRef[]; shared: string[]; dateStyles: Set<number> }

const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57]);

function attr(xml: string, name: string): string | null {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(xml)?.[1] ?? null;
}

function decodeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** Style indexes whose number format shows a date (built-in date formats, or a custom one with y/m/d/h/s outside quotes and brackets). */
function dateStylesOf(styles: string): Set<number> {
  const custom = new Map<number, string>();
  for (const m of styles.matchAll(/<numFmt\b[^>]*>/g)) custom.set(Number(attr(m[0], 'numFmtId')), decodeXml(attr(m[0], 'formatCode') ?? ''));
  const out = new Set<number>();
  const xfs = /<cellXfs\b[^>]*>([\s\S]*?)<\/cellXfs>/.exec(styles)?.[1] ?? '';
  let i = 0;
  for (const m of xfs.matchAll(/<xf\b[^>]*\/?>/g)) {
    const id = Number(attr(m[0], 'numFmtId') ?? 0);
    const code = (custom.get(id) ?? '').replace(/"[^"]*"|\[[^\]]*\]|\\./g, '');
    if (BUILTIN_DATE_FORMATS.has(id) || /[ymdhs]/i.test(code)) out.add(i);
    i++;
  }
  return out;
}

/** Shared strings in order; rich text runs joined, phonetic guides (rPh) left out. */
async function sharedStringsOf(entry: ZipEntry): Promise<string[]> {
  const out: string[] = [];
  const parser = new SaxesParser();
  let current: string | null = null;
  let inText = false;
  let phonetic = 0;
  parser.on('opentag', (t: SaxesTagPlain) => {
    if (t.name === 'si') current = '';
    else if (t.name === 'rPh') phonetic++;
    else if (t.name === 't' && !phonetic) inText = true;
  });
  parser.on('text', (text) => { if (inText && current !== null) current += text; });
  parser.on('closetag', (t: SaxesTagPlain) => {
    if (t.name === 't') inText = false;
    else if (t.name === 'rPh') phonetic--;
    else if (t.name === 'si') { out.push(current ?? ''); current = null; }
  });
  for await (const _ of sax(entry, parser)) { /* collect */ }
  return out;
}

// One reading of the small parts per opened file: an import looks at the workbook for its headers, its
// scan and its rows of each sheet, and a workbook written as a stream keeps these parts at its end
// (each reading is a pass over the whole zip).
const partsOf = new WeakMap<Opener, Promise<WorkbookParts>>();

/** The workbook's sheets (names and parts, in order), shared strings and date styles: one pass over the zip, once per opener. */
export function workbookParts(open: Opener): Promise<WorkbookParts> {
  let parts = partsOf.get(open);
  if (!parts) partsOf.set(open, (parts = readWorkbookParts(open)));
  return parts;
}

async function readWorkbookParts(open: Opener): Promise<WorkbookParts> {
  let workbook = '';
  let rels = '';
  let styles = '';
  let shared: string[] = [];
  for await (const entry of entries(open)) {
    if (entry.path === 'xl/workbook.xml') workbook = await textOf(entry);
    else if (entry.path === 'xl/_rels/workbook.xml.rels') rels = await textOf(entry);
    else if (entry.path === 'xl/styles.xml') styles = await textOf(entry);
    else if (entry.path === 'xl/sharedStrings.xml') shared = await sharedStringsOf(entry);
    else await entry.autodrain().promise();
  }
  const targets = new Map<string, string>();
  for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) targets.set(attr(m[0], 'Id') ?? '', attr(m[0], 'Target') ?? '');
  const sheets = [...workbook.matchAll(/<sheet\b[^>]*>/g)].map((m, i) => {
    const target = targets.get(attr(m[0], 'r:id') ?? '') ?? `worksheets/sheet${i + 1}.xml`;
    return { name: decodeXml(attr(m[0], 'name') ?? ''), path: target.startsWith('/') ? target.slice(1) : `xl/${target}` };
  });
  return { sheets, shared, dateStyles: dateStylesOf(styles) };
}

function columnOf(ref: string): number {
  let n = 0;
  for (const ch of ref) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    n = n * 26 + (code - 64);
  }
  return n - 1;
}

// Excel's day 0 as a UTC instant (1899-12-30; the 1900 leap-year bug is handled by impex.parse for plain numbers).
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

/** The rows of the sheet at `path` as { line, cells }, streamed. */
export async function* sheetRows(open: Opener, parts: WorkbookParts, path: string): AsyncGenerator<{ line: number; cells: Cell[] }> {
  for await (const entry of entries(open)) {
    if (entry.path !== path) { await entry.autodrain().promise(); continue; }
    const parser = new SaxesParser();
    const done: { line: number; cells: Cell[] }[] = [];
    let row: Cell[] | null = null;
    let line = 0;
    let cell: { col: number; type: string; style: number; text: string } | null = null;
    let collecting = false;
    let phonetic = 0;
    parser.on('opentag', (t: SaxesTagPlain) => {
      const a = t.attributes as Record<string, string>;
      if (t.name === 'row') { line = a.r ? Number(a.r) : line + 1; row = []; }
      else if (t.name === 'c') cell = { col: a.r ? columnOf(a.r) : (row?.length ?? 0), type: a.t ?? 'n', style: Number(a.s ?? 0), text: '' };
      else if (t.name === 'rPh') phonetic++;
      else if ((t.name === 'v' || t.name === 't') && cell && !phonetic) collecting = true;
    });
    parser.on('text', (text) => { if (collecting && cell) cell.text += text; });
    parser.on('closetag', (t: SaxesTagPlain) => {
      if (t.name === 'v' || t.name === 't') collecting = false;
      else if (t.name === 'rPh') phonetic--;
      else if (t.name === 'c' && cell && row) {
        row[cell.col] = valueOf(cell, parts);
        cell = null;
      } else if (t.name === 'row' && row) {
        const cells: Cell[] = Array.from({ length: row.length }, (_, i) => row![i] ?? null);
        done.push({ line, cells });
        row = null;
      }
    });
    for await (const _ of sax(entry, parser)) yield* done.splice(0);
    return;
  }
}

function valueOf(c: { type: string; style: number; text: string }, parts: WorkbookParts): Cell {
  if (c.type === 's') return parts.shared[Number(c.text)] ?? null;
  if (c.type === 'inlineStr' || c.type === 'str') return c.text;
  if (c.type === 'b') return c.text === '1';
  if (c.type === 'e' || c.text === '') return null;
  const n = Number(c.text);
  if (!Number.isFinite(n)) return c.text;
  // A date-formatted number: the wall-clock day and time it shows, as a UTC Date (read back as Shanghai time).
  if (parts.dateStyles.has(c.style) && n >= 61) return new Date(EXCEL_EPOCH_MS + Math.round(n * 86_400_000));
  return n;
}
