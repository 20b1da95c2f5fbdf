import { createTestContext, TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';
import { consentingClient, planBody, proposedPlan, slot, staffSet, StaffSet } from '../helpers/consultations';
import { CONSULTATION_ENCRYPTED_TABLES } from '../../src/modules/consultations';

const NOW = '2026-06-01T02:00:00.000Z';

describe("plans, letters and appointments under the client's data rights (PIPL)", () => {
  let t: TestContext;
  let staff: StaffSet;

  beforeAll(async () => {
    t = await createTestContext({ now: NOW });
    staff = await staffSet(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A client with an accepted plan (letter + appointment) and an open proposed plan. */
  async function clientWithPlans() {
    const { client, token } = await consentingClient(t);
    const accepted = await proposedPlan(t, staff.doctorToken, client.publicId);
    const letter = await t.http.post(`/api/mp/plans/${accepted}/accept`).set(bearer(token))
      .send({ revision: 1, appointment: { at: slot(t, 2, '10:00'), kind: 'procedure', note: '对青霉素过敏' } });
    expect(letter.status).toBe(201);
    const open = await proposedPlan(t, staff.doctorToken, client.publicId);
    return { client, token, accepted, open, letterId: letter.body.id as string, appointmentId: letter.body.appointment.id as string };
  }

  it('withdrawing the health consent erases the analyses and risk plans, takes the risk plan out of the letter and withdraws open plans', async () => {
    const { client, token, accepted, open, letterId } = await clientWithPlans();

    const res = await t.http.delete('/api/mp/me/consents/health').set(bearer(token));

    expect(res.status).toBe(200);
    const asDoctor = await t.http.get(`/api/staff/plans/${accepted}`).set(bearer(staff.doctorToken));
    expect(asDoctor.body.revision).toMatchObject({ analysis: null, riskPlan: null, priceMaxFen: planBody().priceMaxFen });
    expect((await t.http.get(`/api/staff/plans/${open}`).set(bearer(staff.doctorToken))).body.status).toBe('withdrawn');
    expect((await t.http.get(`/api/staff/plans/${accepted}`).set(bearer(staff.doctorToken))).body.status).toBe('accepted');
    const letter = await t.http.get(`/api/mp/intent-letters/${letterId}`).set(bearer(token));
    expect(letter.body.snapshot).toMatchObject({ riskPlan: null, priceMaxFen: planBody().priceMaxFen });
    // Without the consent, no new health content can be written.
    const create = await t.http.post(`/api/staff/clients/${client.publicId}/plans`).set(bearer(staff.doctorToken)).send(planBody());
    expect(create.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
  });

  it("a client's change-request comment (it may describe health) is shown to doctors and the director, never to consultants: they see count and revision only", async () => {
    const { client, token } = await consentingClient(t, { consultant: staff.consultant });
    const planId = await proposedPlan(t, staff.doctorToken, client.publicId);
    const change = await t.http.post(`/api/mp/plans/${planId}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '我有哮喘，能否换成局麻' });
    expect(change.status).toBe(201);

    const [asConsultant, asDoctor, asDirector] = await Promise.all(
      [staff.consultantToken, staff.doctorToken, staff.directorToken].map((tk) => t.http.get(`/api/staff/plans/${planId}`).set(bearer(tk))),
    );

    expect(asConsultant.status).toBe(200);
    expect(asConsultant.body.changeRequests).toEqual([{ id: expect.any(String), revision: 1, createdAt: expect.any(String) }]);
    expect(JSON.stringify(asConsultant.body)).not.toContain('哮喘');
    for (const res of [asDoctor, asDirector]) {
      expect(res.body.changeRequests).toEqual([expect.objectContaining({ revision: 1, comment: '我有哮喘，能否换成局麻' })]);
    }
    // The client always reads their own words.
    expect((await t.http.get(`/api/mp/plans/${planId}`).set(bearer(token))).body.changeRequests).toEqual([
      expect.objectContaining({ revision: 1, comment: '我有哮喘，能否换成局麻' }),
    ]);
  });

  it("withdrawing the health consent erases the text of the client's change requests; the requests themselves (revision, time) stay", async () => {
    const { client, token, open } = await clientWithPlans();
    await t.http.post(`/api/mp/plans/${open}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '对青霉素过敏，术后用药要换' });

    const res = await t.http.delete('/api/mp/me/consents/health').set(bearer(token));

    expect(res.status).toBe(200);
    const asDoctor = await t.http.get(`/api/staff/plans/${open}`).set(bearer(staff.doctorToken));
    expect(asDoctor.body.changeRequests).toEqual([expect.objectContaining({ revision: 1, comment: null })]);
    expect((await t.http.get(`/api/mp/plans/${open}`).set(bearer(token))).body.changeRequests).toEqual([expect.objectContaining({ revision: 1, comment: null })]);
    const rows: { public_id: string; comment_enc: Buffer }[] = await t.deps.db.query('SELECT public_id, comment_enc FROM plan_comments WHERE client_id = ?', [client.id]);
    expect(rows).toHaveLength(1);
    // Overwritten, not merely hidden: what is stored decrypts to null.
    expect(t.services.cipher.decrypt(rows[0].comment_enc, `plan_comments:${rows[0].public_id}:comment`)).toBe('null');
  });

  it("the client's export carries the plans shown to them, their intent letters and appointments", async () => {
    const { token, accepted, letterId, appointmentId } = await clientWithPlans();

    const created = await t.http.post('/api/mp/me/exports').set(bearer(token));
    const exported = await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(token));

    expect(exported.status).toBe(200);
    expect(exported.body.plans.map((p: { id: string }) => p.id)).toContain(accepted);
    const plan = exported.body.plans.find((p: { id: string }) => p.id === accepted);
    expect(plan.revisions).toEqual([expect.objectContaining({ revision: 1, riskPlan: planBody().riskPlan })]);
    expect(plan.revisions[0]).not.toHaveProperty('analysis');
    expect(exported.body.intentLetters).toEqual([expect.objectContaining({ id: letterId })]);
    expect(exported.body.appointments).toEqual([expect.objectContaining({ id: appointmentId, note: '对青霉素过敏' })]);
  });

  it('the key-rotation descriptors read every encrypted column with the associated data it was written with', async () => {
    const { client, token, open } = await clientWithPlans();
    await t.http.post(`/api/mp/plans/${open}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '能否只做鼻尖' });

    for (const plan of CONSULTATION_ENCRYPTED_TABLES) {
      const cols = plan.columns.map((c) => `t.${c.column} AS ${c.column}`).join(', ');
      const rows: Record<string, unknown>[] = await t.deps.db.query(
        `SELECT ${plan.select}, ${cols} FROM ${plan.from} WHERE t.${plan.key} IN (SELECT id FROM ${plan.table} WHERE ${plan.table === 'plan_revisions' ? 'plan_id IN (SELECT id FROM plans WHERE client_id = ?)' : 'client_id = ?'})`,
        [client.id],
      );
      expect({ table: plan.table, rows: rows.length > 0 }).toEqual({ table: plan.table, rows: true });
      for (const row of rows) {
        for (const c of plan.columns) {
          if (row[c.column]) expect(() => t.services.cipher.decrypt(row[c.column] as Buffer, c.aad(row))).not.toThrow();
        }
      }
    }
  });

  it('deleting the account erases plans, letters and appointment notes and cancels open appointments', async () => {
    const { client, token } = await clientWithPlans();

    const res = await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true });

    expect(res.status).toBe(204);
    const q = (sql: string) => t.deps.db.query(sql, [client.id]) as Promise<Record<string, any>[]>;
    expect(await q('SELECT id FROM plans WHERE client_id = ?')).toEqual([]);
    expect(await q('SELECT id FROM intent_letters WHERE client_id = ?')).toEqual([]);
    expect(await q('SELECT id FROM plan_comments WHERE client_id = ?')).toEqual([]);
    expect(await q('SELECT status, note_enc FROM appointments WHERE client_id = ?')).toEqual([{ status: 'cancelled', note_enc: null }]);
  });
});
