import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createPaidOrder, createProject, scores } from '../helpers/feedback';
import type { Staff } from '../../src/modules/staff/staff.entity';

/**
 * 主管 follow-up of low scores (DOMAIN.md: poor ratings → escalated to a supervisor for a remedy):
 * the supervisor role is an explicit mapping (SUPERVISOR_ROLE, here the
 * consultant role, for their own clients, to show it is configurable); the compensation chosen when resolving is a real
 * voucher or a free review appointment, the client is told, and the satisfaction report counts it.
 */
describe('supervisor compensation of low-score cases', () => {
  let t: TestContext;
  let doctor: Staff;
  let supervisor: string;
  let supervisorStaff: Staff;
  let service: string;
  let director: string;
  let projectId: number;

  beforeAll(async () => {
    // Monday 2026-11-02 10:00 Shanghai.
    t = await createTestContext({ now: '2026-11-02T02:00:00Z', env: { SUPERVISOR_ROLE: 'consultant' } });
    doctor = await createStaff(t, 'doctor');
    supervisorStaff = await createStaff(t, 'consultant');
    supervisor = await staffToken(t, supervisorStaff);
    service = await staffToken(t, await createStaff(t, 'customer_service'));
    director = await staffToken(t, await createStaff(t, 'director'));
    projectId = (await createProject(t, '水光针')).id;
  });
  afterAll(() => t.close());

  /** A client who answered their survey with a poor score: the open case's public id. */
  async function lowScoreCase(): Promise<{ clientId: number; caseId: string }> {
    // A consultant supervisor sees their own clients (the client-access rule still applies).
    const client = await createClient(t, { consultantId: supervisorStaff.id });
    const order = await createPaidOrder(t, { client, doctor, projectIds: [projectId] });
    const surveyId = await t.services.feedback.openSurvey(null, { clientId: client.id, orderId: order.id });
    const res = await t.http.post(`/api/mp/surveys/${surveyId}/answers`).set(bearer(await clientToken(t, client))).send({ indicators: scores(2), nps: 2 });
    expect(res.status).toBe(200);
    const [kase] = await t.deps.db.query('SELECT public_id, assignee_role FROM feedback_cases WHERE client_id = ?', [client.id]);
    expect(kase.assignee_role).toBe('consultant');
    return { clientId: client.id, caseId: kase.public_id };
  }
  const resolve = (token: string, caseId: string, body: object) => t.http.post(`/api/staff/cases/${caseId}/resolve`).set(bearer(token)).send(body);
  const messages = (clientId: number) => t.services.outbox.listForClient(clientId, 'client_message');

  it('the supervisor resolves with a win-back voucher: the voucher exists, the client is told what it is, the case records it', async () => {
    const { clientId, caseId } = await lowScoreCase();

    const res = await resolve(supervisor, caseId, { resolution: '已电话致歉，赠送补偿券', compensation: { kind: 'voucher', rule: 'winback_percent' } });

    expect(res.status).toBe(200);
    const [voucher] = await t.deps.db.query('SELECT public_id, rule, period, kind, percent, cap_fen, status FROM vouchers WHERE client_id = ?', [clientId]);
    expect(voucher).toMatchObject({ rule: 'winback_percent', period: `case:${caseId}`, kind: 'percent_off', percent: 30, cap_fen: 100_000, status: 'issued' });
    expect(res.body.compensation).toEqual({ kind: 'voucher', rule: 'winback_percent', ref: voucher.public_id });
    const [msg] = await messages(clientId);
    expect(msg.payload.text).toContain('「满意度回访折扣券」7折券（最高减¥1000），有效期至 2027-01-31');
  });

  it('customer service may resolve, but only the supervisor (or the director) may give a compensation: 403 names the roles, nothing written', async () => {
    const { clientId, caseId } = await lowScoreCase();

    const refused = await resolve(service, caseId, { resolution: '赠送补偿券', compensation: { kind: 'voucher', rule: 'winback_amount' } });

    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ roles: ['director', 'consultant'] });
    expect(await t.deps.db.query('SELECT id FROM vouchers WHERE client_id = ?', [clientId])).toEqual([]);
    const [kase] = await t.deps.db.query('SELECT status FROM feedback_cases WHERE public_id = ?', [caseId]);
    expect(kase.status).toBe('open');
    expect((await resolve(service, caseId, { resolution: '已电话回访致歉' })).status).toBe(200);
  });

  it('a free review appointment books the slot with the client, who is told its time; a bad slot is refused naming the field', async () => {
    const { clientId, caseId } = await lowScoreCase();
    const bad = await resolve(director, caseId, { resolution: '安排免费复诊', compensation: { kind: 'review_appointment', at: '2026-11-04T02:07:00Z' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field ?? bad.body.error.details[0]?.field).toBe('body.compensation.at');
    const wrongShape = await resolve(director, caseId, { resolution: '安排免费复诊', compensation: { kind: 'review_appointment', rule: 'winback_care' } });
    expect(wrongShape.status).toBe(400);

    // Wednesday 2026-11-04 14:00 Shanghai.
    const res = await resolve(director, caseId, { resolution: '安排免费复诊', compensation: { kind: 'review_appointment', at: '2026-11-04T06:00:00Z' } });

    expect(res.status).toBe(200);
    const [appointment] = await t.deps.db.query('SELECT public_id, kind, status, starts_at FROM appointments WHERE client_id = ?', [clientId]);
    expect(appointment).toMatchObject({ status: 'requested', starts_at: new Date('2026-11-04T06:00:00Z') });
    expect(res.body.compensation).toEqual({ kind: 'review_appointment', rule: null, ref: appointment.public_id });
    expect((await messages(clientId))[0].payload.text).toContain('免费复诊：2026-11-04 14:00');
  });

  it('the satisfaction report shows the compensations given by the supervisors', async () => {
    const report = await t.http.get('/api/staff/reports/satisfaction').query({ from: '2026-11-01', to: '2026-11-02' }).set(bearer(director));
    expect(report.status).toBe(200);
    expect(report.body.compensations).toEqual({ resolved: 3, none: 1, vouchers: [{ rule: 'winback_percent', count: 1 }], reviewAppointments: 1 });
  });
});
