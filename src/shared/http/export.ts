import Joi from 'joi';
import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import type { Logger } from '../logger';
import { TABLE_CONTENT_TYPES, TABLE_FORMATS, tableStream, type TableColumn, type TableFormat } from '../tabular';

/** `format` of every list's `/export` twin. */
export const exportFormat = Joi.string().valid(...TABLE_FORMATS).default('xlsx');

/** Media types an export answers with, for the route's `files`. */
export const EXPORT_FILES = Object.values(TABLE_CONTENT_TYPES);

/** A list as a file: its columns and its rows, read as the file is written. */
export interface TableExport {
  filename: string;
  sheetName: string;
  columns: TableColumn[];
  rows: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>;
  /** Where a failure mid-stream is logged (the client sees a cut-off download). */
  logger: Logger;
}

/**
 * Reads a table in keyset batches (`after` the last row's key, `limit` rows at a time) and hands
 * each batch on: an export of 100,000 rows holds one batch at a time, never the whole list, and
 * no OFFSET scan grows with the page.
 */
export async function* keysetBatches<R, K>(fetch: (after: K | null, limit: number) => Promise<R[]>, keyOf: (row: R) => K, batch = 1000): AsyncGenerator<R[]> {
  let after: K | null = null;
  for (;;) {
    const rows = await fetch(after, batch);
    if (rows.length) yield rows;
    if (rows.length < batch) return;
    after = keyOf(rows[rows.length - 1]);
  }
}

/** Answers a route with the export as a download (CSV with BOM or xlsx), streamed as its rows are read. */
export function sendTable(ctx: Context, format: TableFormat, table: TableExport): Readable {
  ctx.type = TABLE_CONTENT_TYPES[format];
  ctx.attachment(`${table.filename}.${format}`);
  return tableStream(format, table.sheetName, table.columns, table.rows, table.logger);
}
