import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { giveHealthConsent, intentAnswers, submitIntent } from '../helpers/questionnaires';
import { EncryptKeyAnswers1795790000000 } from '../../migrations/1795790000000-EncryptKeyAnswers';

const NOW = '2026-06-01T04:00:00.000Z';

describe('the key answers shown with a lead are encrypted at rest', () => {
  let t: TestContext;
  let token: string;
  let clientId: number;

  beforeAll(async () => {
    // A database of its own: the migration converts every row of the table.
    t = await createTestContext({ now: NOW, isolatedDatabase: true });
    const consultant = await createStaff(t, 'consultant');
    token = await staffToken(t, consultant);
    const client = await createClient(t, { consultantId: consultant.id, birthDate: '1994-05-12', gender: 'female' });
    clientId = client.id;
    await giveHealthConsent(t, client.id);
    const res = await submitIntent(t, await clientToken(t, client), intentAnswers({ timeline: 'within_3m' }));
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  const keyAnswers = async () => {
    const res = await t.http.get('/api/staff/leads').set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.items[0].keyAnswers as { id: string; answer: unknown }[];
  };

  it('the row holds ciphertext only; the migration encrypts rows written before it and its down brings them back', async () => {
    const shown = await keyAnswers();
    expect(shown).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'timeline', answer: '一到三个月' })]));
    const columns = async () => (await t.deps.db.query('SHOW COLUMNS FROM client_intents')).map((c: { Field: string }) => c.Field);
    expect(await columns()).not.toContain('key_answers');

    const runner = t.deps.db.createQueryRunner();
    const migration = new EncryptKeyAnswers1795790000000();
    try {
      // Arrange: the column as it was before the migration.
      await migration.down(runner);
      const [plain] = await t.deps.db.query('SELECT key_answers FROM client_intents WHERE client_id = ?', [clientId]);
      expect(JSON.stringify(plain.key_answers)).toContain('within_3m');
      // Act
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    // Assert: no plaintext column, no answer readable in the ciphertext, and the lead reads as before.
    expect(await columns()).not.toContain('key_answers');
    const [row] = await t.deps.db.query('SELECT key_answers_enc FROM client_intents WHERE client_id = ?', [clientId]);
    expect(row.key_answers_enc.toString('latin1')).not.toContain('within_3m');
    expect(await keyAnswers()).toEqual(shown);
  });
});
