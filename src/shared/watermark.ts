import type { DataSource } from 'typeorm';

/** A page of rows past a primary-key watermark, and the watermark to ask from next time. */
export interface RowsAfter<T> {
  lastId: number;
  items: T[];
}

/**
 * Rows of a work table created after the last id seen, oldest first: a range read of the primary
 * key, cheap enough to poll every few seconds. With no watermark it answers only the latest id, so
 * a reader starts from now instead of replaying history. `from` may join (`t JOIN clients c …`);
 * the table's own alias must be `t`.
 */
export async function rowsAfter<T extends { id: number }>(
  db: DataSource, from: string, columns: string, afterId: number | null, limit = 200,
): Promise<RowsAfter<T>> {
  if (afterId === null) {
    const [{ lastId }]: { lastId: number | string | null }[] = await db.query(`SELECT MAX(t.id) AS lastId FROM ${from}`);
    return { lastId: Number(lastId ?? 0), items: [] };
  }
  const rows: T[] = await db.query(`SELECT t.id AS id, ${columns} FROM ${from} WHERE t.id > ? ORDER BY t.id LIMIT ?`, [afterId, limit]);
  const items = rows.map((r) => ({ ...r, id: Number(r.id) }));
  return { lastId: items.length ? items[items.length - 1].id : afterId, items };
}
