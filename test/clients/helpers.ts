import type { TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';

/** True when any column of any raw row holds the plaintext (as UTF-8 bytes or text). */
export function rawContains(rows: Record<string, unknown>[], plain: string): boolean {
  const needle = Buffer.from(plain, 'utf8');
  return rows.some((row) =>
    Object.values(row).some((v) => {
      if (v === null || v === undefined) return false;
      if (Buffer.isBuffer(v)) return v.includes(needle);
      return (typeof v === 'string' ? v : JSON.stringify(v)).includes(plain);
    }),
  );
}

export const NOW = '2026-06-01T04:00:00.000Z';

/** Grants the current privacy + health consents through the API. */
export async function grantHealth(t: TestContext, token: string): Promise<void> {
  for (const purpose of ['privacy', 'health'] as const) {
    const version = purpose === 'privacy' ? t.config.policy.privacyVersion : t.config.policy.healthConsentVersion;
    const res = await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose, policyVersion: version });
    if (res.status !== 201) throw new Error(`consent ${purpose}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export const MEDICAL = {
  allergies: ['青霉素过敏'],
  medications: ['阿司匹林'],
  pastProcedures: [{ name: '双眼皮手术', year: 2020, satisfied: true }],
  conditions: ['高血压'],
};
