import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { giveHealthConsent, intentAnswers, submitIntent } from '../helpers/questionnaires';
import { NOT_REENCRYPTED, reencryptAll, REENCRYPTED_COLUMNS } from '../../src/cli/reencrypt';
import { totpAad } from '../../src/modules/staff';

const NOW = '2026-06-01T04:00:00.000Z';

describe('keys:reencrypt covers every encrypted column', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  let v1: TestContext;
  let v2: TestContext;
  beforeAll(async () => {
    // A database of its own, shared by the two key configurations: the run converts every row.
    v1 = await createTestContext({ now: NOW, env: { DATA_KEYS: `1:${k1}` }, isolatedDatabase: true });
    v2 = await createTestContext({ now: NOW, env: { DATA_KEYS: `1:${k1},2:${k2}` }, shareDatabaseOf: v1 });
  });
  afterAll(async () => {
    await v2?.close();
    await v1?.close();
  });

  it('every *_enc column of the schema is re-encrypted, or listed with the reason it is not', async () => {
    const rows: { name: string }[] = await v1.deps.db.query(
      "SELECT CONCAT(table_name, '.', column_name) AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name LIKE '%\\_enc'",
    );
    const inSchema = rows.map((r) => r.name).sort();
    expect(inSchema.length).toBeGreaterThan(30);
    expect(inSchema.filter((c) => !REENCRYPTED_COLUMNS.includes(c) && !(c in NOT_REENCRYPTED))).toEqual([]);
    // And nothing is listed that the schema no longer has.
    expect([...REENCRYPTED_COLUMNS, ...Object.keys(NOT_REENCRYPTED)].filter((c) => !inSchema.includes(c))).toEqual([]);
  });

  it('client notes, key answers and staff TOTP secrets move to the new key and still read', async () => {
    // Arrange: written under key 1.
    const consultant = await createStaff(v1, 'consultant');
    const client = await createClient(v1, { consultantId: consultant.id, birthDate: '1994-05-12', gender: 'female' });
    await giveHealthConsent(v1, client.id);
    expect((await submitIntent(v1, await clientToken(v1, client), intentAnswers())).status).toBe(201);
    const token1 = await staffToken(v1, consultant);
    const note = await v1.http.post(`/api/staff/clients/${client.publicId}/notes`).set(bearer(token1)).send({ kind: 'call', text: '电话回访：恢复良好' });
    expect(note.status).toBe(201);
    const enrol = await v1.http.post('/api/staff/me/totp').set(bearer(token1));
    expect(enrol.status).toBe(200);
    const firstBytes = async () => {
      const [r] = await v2.deps.db.query(
        `SELECT (SELECT ORD(body_enc) FROM client_notes WHERE client_id = ?) AS note,
                (SELECT ORD(key_answers_enc) FROM client_intents WHERE client_id = ?) AS answers,
                (SELECT ORD(totp_pending_enc) FROM staff WHERE id = ?) AS totp`,
        [client.id, client.id, consultant.id],
      );
      return Object.values(r).map(Number);
    };
    expect(await firstBytes()).toEqual([1, 1, 1]);

    // Act
    const report = await reencryptAll({ db: v2.deps.db, config: v2.config });

    // Assert
    expect(report.client_notes).toMatchObject({ reencrypted: 1, failed: 0 });
    expect(await firstBytes()).toEqual([2, 2, 2]);
    const token2 = await staffToken(v2, consultant);
    const notes = await v2.http.get(`/api/staff/clients/${client.publicId}/notes`).set(bearer(token2));
    expect(notes.body.items).toEqual([expect.objectContaining({ text: '电话回访：恢复良好' })]);
    const leads = await v2.http.get('/api/staff/leads').set(bearer(token2));
    expect(leads.body.items[0].keyAnswers.length).toBeGreaterThan(0);
    const [staffRow] = await v2.deps.db.query('SELECT totp_pending_enc FROM staff WHERE id = ?', [consultant.id]);
    expect(v2.services.cipher.decrypt(staffRow.totp_pending_enc, totpAad.pending(consultant.id))).toBe(enrol.body.secret);
  });
});
