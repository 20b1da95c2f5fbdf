import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Logger } from './logger';

export const TABLE_FORMATS = ['csv', 'xlsx'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface TableColumn { key: string; header: string }

export const TABLE_CONTENT_TYPES: Record<TableFormat, string> = {
  // UTF-8 with a byte-order mark, so Excel on Windows reads the Chinese correctly.
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A cell a spreadsheet would run as a formula (CSV injection) is kept as text by a leading apostrophe. */
function safeText(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const s = safeText(v instanceof Date ? v.toISOString() : String(v));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes rows as they come into a CSV (UTF-8 with BOM) or an xlsx stream: nothing holds the whole
 * table, so a list of 100,000 rows streams as it is read (exceljs' streaming WorkbookWriter).
 */
export function tableStream(format: TableFormat, sheetName: string, columns: TableColumn[], rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>, logger: Logger): Readable {
  const out = new PassThrough();
  const fail = (err: unknown) => {
    logger.error({ err, format }, 'table export failed mid-stream');
    out.destroy(err as Error);
  };
  if (format === 'csv') {
    void (async () => {
      const write = (line: string) => (out.write(line) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
      await write(`\uFEFF${columns.map((c) => csvCell(c.header)).join(',')}\r\n`);
      for await (const row of rows) await write(`${columns.map((c) => csvCell(row[c.key])).join(',')}\r\n`);
      out.end();
    })().catch(fail);
    return out;
  }
  void (async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
    const sheet = workbook.addWorksheet(sheetName);
    sheet.columns = columns.map((c) => ({ header: c.header, key: c.key, width: Math.max(10, c.header.length * 2 + 2) }));
    for await (const row of rows) {
      const cells: Record<string, unknown> = {};
      for (const c of columns) {
        const v = row[c.key];
        cells[c.key] = typeof v === 'string' ? safeText(v) : v ?? null;
      }
      sheet.addRow(cells).commit();
    }
    sheet.commit();
    await workbook.commit();
  })().catch(fail);
  return out;
}
