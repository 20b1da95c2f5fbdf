import type { Readable } from 'node:stream';
import { AppError } from '../../shared/errors';
import { ImportErrors } from './impex.errors';
import type { Cell } from './impex.parse';
import type { ImportKind } from './impex.kinds';
import { sheetRows, workbookParts } from './impex.xlsx';

// unzipper ships without types; exceljs reads with the same library.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const unzipper = require('unzipper') as { Parse(opts: { forceStream: true }): NodeJS.ReadWriteStream };
interface ZipEntry extends Readable { path: string; autodrain(): { promise(): Promise<void> } }

/** Opens the uploaded file afresh (a file on disk, or the stored upload); each pass reads it from the start. */
export type Opener = () => Readable;

export type FileFormat = 'xlsx' | 'csv';

/** A spreadsheet row: its line number in the sheet (1 = the header row) and its cells from column A. */
export interface SheetRow {
  line: number;
  cells: Cell[];
}

/** What a file's first bytes say it is; anything that is neither a zip (xlsx) nor UTF-8 text is refused. */
export function sniffFormat(head: Buffer): FileFormat {
  if (head.length === 0) throw new AppError(ImportErrors.IMPORT_FILE_EMPTY, 'The file is empty', [{ field: 'file', message: 'empty file' }]);
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'xlsx';
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'An old .xls workbook: save it as .xlsx or CSV (UTF-8) first', [{ field: 'file', message: 'xls is not supported' }]);
  }
  if (head.includes(0) || !isUtf8Prefix(head)) {
    throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'Not a spreadsheet: send .xlsx, or CSV saved as UTF-8', [{ field: 'file', message: 'neither xlsx nor UTF-8 text' }]);
  }
  return 'csv';
}

/** UTF-8 up to the last complete character (the head may end inside one). */
function isUtf8Prefix(head: Buffer): boolean {
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch { /* try without the last bytes */ }
  }
  return false;
}

/** Reads the first bytes of a fresh stream. */
export async function readHead(open: Opener, bytes = 4096): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = open();
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= bytes) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, bytes);
}

const KIND_SHEETS: Record<ImportKind, RegExp> = {
  clients: /^(clients?|客户|客户档案)$/i,
  orders: /^(orders?|订单)$/i,
  treatments: /^(treatments?|施术|施术记录|治疗记录)$/i,
};

/** Which kind a sheet's name says it holds, if any. */
export function kindOfSheet(name: string): ImportKind | null {
  for (const [kind, re] of Object.entries(KIND_SHEETS)) if (re.test(name.trim())) return kind as ImportKind;
  return null;
}

/** The sheet a kind reads: the one named after the kind, else the first. */
async function sheetFor(open: Opener, kind: ImportKind | null): Promise<{ parts: Awaited<ReturnType<typeof workbookParts>>; path: string }> {
  const parts = await workbookParts(open);
  if (!parts.sheets.length) throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'The workbook has no sheet', [{ field: 'file', message: 'no sheet' }]);
  const named = kind ? parts.sheets.find((s) => kindOfSheet(s.name) === kind) : undefined;
  return { parts, path: (named ?? parts.sheets[0]).path };
}

/** The rows of the sheet a kind reads, streamed (impex.xlsx.ts). */
async function* xlsxRows(open: Opener, kind: ImportKind | null): AsyncGenerator<SheetRow> {
  try {
    const { parts, path } = await sheetFor(open, kind);
    yield* sheetRows(open, parts, path);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'The xlsx file cannot be read (damaged or not a workbook)', [{ field: 'file', message: String((err as Error).message).slice(0, 200) }]);
  }
}

/** The sheet names in workbook order. */
export async function sheetNames(open: Opener): Promise<string[]> {
  try {
    return (await workbookParts(open)).sheets.map((x) => x.name);
  } catch (err) {
    throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'The xlsx file cannot be read (damaged or not a workbook)', [{ field: 'file', message: String((err as Error).message).slice(0, 200) }]);
  }
}

/**
 * One streaming look at a sheet's XML before its rows are read: its merged cell ranges (e.g.
 * "A2:A3") and how many rows it has. A merged range holds its value in its first cell only, so the
 * rows under it would import with that column empty: they are reported instead. mergeCells come
 * after the rows, so the scan reads the whole sheet, holding only the tail of each chunk.
 */
export async function scanXlsxSheet(open: Opener, kind: ImportKind | null): Promise<{ merges: string[]; rows: number }> {
  const { path } = await sheetFor(open, kind);
  const source = open();
  const zip = source.pipe(unzipper.Parse({ forceStream: true }));
  const merges: string[] = [];
  let rows = 0;
  try {
    for await (const entry of zip as AsyncIterable<ZipEntry>) {
      if (entry.path !== path) {
        await entry.autodrain().promise();
        continue;
      }
      let tail = '';
      for await (const c of entry) {
        const text = tail + (c as Buffer).toString('latin1');
        const cut = text.lastIndexOf('<');
        const whole = cut >= 0 && text.length - cut < 200 ? text.slice(0, cut) : text;
        tail = text.slice(whole.length);
        for (const m of whole.matchAll(/<mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"/g)) merges.push(m[1]);
        rows += whole.match(/<row[\s>]/g)?.length ?? 0;
      }
      rows += tail.match(/<row[\s>]/g)?.length ?? 0;
      // The sheet is read: the entries after it need not be inflated.
      break;
    }
  } finally {
    source.destroy();
  }
  return { merges, rows };
}

/** The lines (rows) a merged range like "B2:B4" covers, as [from, to]. */
export function mergedLineRange(range: string): [number, number] {
  const [a, b] = range.split(':').map((ref) => Number(/\d+$/.exec(ref)![0]));
  return [Math.min(a, b), Math.max(a, b)];
}

/**
 * CSV rows (RFC 4180: quoted fields may hold commas, quotes and line breaks), decoded as UTF-8
 * with or without a BOM; text that is not UTF-8 (a GBK CSV from an older Excel) is refused.
 */
async function* csvRows(open: Opener): AsyncGenerator<SheetRow> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let field = '';
  let row: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let rowLine = 1;
  let first = true;
  const done: SheetRow[] = [];
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) done.push({ line: rowLine, cells: row.map((v) => v) });
    row = [];
  };
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') { field += '"'; i++; } else if (i + 1 === text.length) { quoted = false; afterQuote = true; } else { quoted = false; }
        } else {
          if (ch === '\n') line++;
          field += ch;
        }
        continue;
      }
      if (afterQuote && ch === '"') { field += '"'; quoted = true; afterQuote = false; continue; }
      afterQuote = false;
      if (ch === '"' && field === '') quoted = true;
      else if (ch === ',') { row.push(field); field = ''; }
      else if (ch === '\n') { endRow(); line++; rowLine = line; }
      else if (ch !== '\r') field += ch;
    }
  };
  try {
    for await (const chunk of open()) {
      let text = decoder.decode(chunk as Buffer, { stream: true });
      if (first) { text = text.replace(/^\uFEFF/, ''); first = false; }
      feed(text);
      yield* done.splice(0);
    }
    feed(decoder.decode());
  } catch (err) {
    if (err instanceof TypeError) throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, 'The CSV is not UTF-8: save it as "CSV UTF-8" and upload again', [{ field: 'file', message: `not UTF-8 near line ${line}` }]);
    throw err;
  }
  if (quoted) throw new AppError(ImportErrors.IMPORT_FILE_UNREADABLE, `A quoted field opened on line ${rowLine} never closes`, [{ field: 'file', message: `unclosed quote, line ${rowLine}` }]);
  if (field !== '' || row.length) endRow();
  yield* done.splice(0);
}

/** Every row of the sheet this kind reads (the header row first), whichever the format. */
export function readRows(open: Opener, format: FileFormat, kind: ImportKind | null): AsyncGenerator<SheetRow> {
  return format === 'xlsx' ? xlsxRows(open, kind) : csvRows(open);
}
