import type { QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config';
import { FieldCipher } from '../src/shared/crypto';

/**
 * The data keys for a migration that encrypts or decrypts existing rows: the same configuration
 * (environment, `.env`) every process reads at start, loaded only when there are rows to convert,
 * so a fresh database migrates without keys. Not a migration itself (not in index.ts).
 */
let cached: FieldCipher | null = null;
export function migrationCipher(): FieldCipher {
  if (!cached) {
    const { crypto } = loadConfig();
    cached = new FieldCipher(crypto.dataKeys, crypto.currentKeyVersion, crypto.blindIndexKeys);
  }
  return cached;
}

/**
 * Walks `select` (which must expose the key as `k` and take the last key and a limit) in key order,
 * 500 rows at a time, and runs the statement `rewrite` returns for each row.
 */
export async function eachRow(
  q: QueryRunner,
  select: string,
  rewrite: (row: Record<string, any>) => [string, unknown[]] | null,
): Promise<void> {
  let after = 0;
  for (;;) {
    const rows: Record<string, any>[] = await q.query(select, [after, 500]);
    if (!rows.length) return;
    for (const row of rows) {
      const stmt = rewrite(row);
      if (stmt) await q.query(stmt[0], stmt[1]);
      after = Number(row.k);
    }
  }
}

/** JSON columns come back as text from MariaDB, as objects from MySQL 8. */
export function jsonText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
