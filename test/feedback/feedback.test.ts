import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createPaidOrder, createProject, scores } from '../helpers/feedback';
import { startScheduler } from '../../src/scheduler';
import type { Client } from '../../src/modules/clients/clients.entity';
import type { Staff } from '../../src/modules/staff/staff.entity';

const HOUR = 3600_000;

describe('satisfaction surveys, complaints and cases', () => {
  let t: TestContext;
  let t2: TestContext;
  let doctor: Staff;
  let directorToken: string;
  let serviceToken: string;
  let doctorToken: string;
  let projectId: number;

  beforeAll(async () => {
    // Two app instances on one database: the SLA task runs on both at once (DESIGN.md).
    [t, t2] = await Promise.all([createTestContext(), createTestContext()]);
    doctor = await createStaff(t, 'doctor');
    directorToken = await staffToken(t, await createStaff(t, 'director'));
    serviceToken = await staffToken(t, await createStaff(t, 'customer_service'));
    doctorToken = await staffToken(t, doctor);
    projectId = (await createProject(t, '玻尿酸填充')).id;
  });
  afterAll(async () => {
    await Promise.all([t?.close(), t2?.close()]);
  });

  /** A client with a paid order and its open survey. */
  async function surveyed(ctx = t): Promise<{ client: Client; token: string; orderId: number; orderPublicId: string; surveyId: string }> {
    const client = await createClient(ctx);
    const order = await createPaidOrder(ctx, { client, doctor, projectIds: [projectId] });
    const surveyId = await ctx.services.feedback.openSurvey(null, { clientId: client.id, orderId: order.id });
    return { client, token: await clientToken(ctx, client), orderId: order.id, orderPublicId: order.publicId, surveyId };
  }

  /** What the delivery engine tells feedback once a survey's invitation went out on `channel`. */
  const invited = (clientId: number, surveyId: string, channel: string, at = t.clock.now()) => t.deps.db.transaction((m) =>
    t.services.feedback.deliveryHooks.onDelivered(m, [{ kind: 'client_message', clientId, channel, payload: { text: '满意度问卷', purpose: 'survey', surveyId }, at }]));

  const answer = (token: string, surveyId: string, body: object) => t.http.post(`/api/mp/surveys/${surveyId}/answers`).set(bearer(token)).send(body);

  async function casesOf(clientId: number) {
    return t.deps.db.query('SELECT * FROM feedback_cases WHERE client_id = ? ORDER BY id', [clientId]) as Promise<Record<string, any>[]>;
  }

  async function taskOf(casePublicId: string) {
    const [row] = await t.deps.db.query('SELECT * FROM staff_tasks WHERE dedupe_key = ?', [`feedback_case:${casePublicId}`]);
    // Title and details are encrypted in the row: read them as staff see them.
    const view = await t.services.worklist.byDedupeKey(`feedback_case:${casePublicId}`);
    return row ? ({ ...row, title: view?.title, details: view?.details } as Record<string, any>) : undefined;
  }

  it('an answer of 10 queues one invitation to share, and sharing grants the review points once', async () => {
    const { client, token, orderId, surveyId } = await surveyed();
    expect(await t.services.feedback.openSurvey(null, { clientId: client.id, orderId })).toBe(surveyId);
    const pending = await t.http.get('/api/mp/surveys').set(bearer(token));
    expect(pending.body.items.map((s: { id: string }) => s.id)).toEqual([surveyId]);
    expect(pending.body.items[0].questions).toHaveLength(10);

    const body = { indicators: scores(5), nps: 10, comment: '医生很耐心' };
    const first = await answer(token, surveyId, body);
    const replay = await answer(token, surveyId, body);
    const different = await answer(token, surveyId, { ...body, nps: 9 });

    expect(first.status).toBe(200);
    expect(first.body.replayed).toBe(false);
    expect(first.body.survey).toMatchObject({ status: 'answered', canShare: true, answer: { nps: 10, comment: '医生很耐心' } });
    expect(replay.status).toBe(200);
    expect(replay.body.replayed).toBe(true);
    expect(different.status).toBe(409);
    expect(different.body.error.code).toBe('SURVEY_ALREADY_ANSWERED');
    const invitations = await t.services.outbox.listForClient(client.id, 'client_message');
    expect(invitations).toHaveLength(1);
    expect(invitations[0].dedupeKey).toBe(`review_invite:${surveyId}`);
    expect(invitations[0].payload).toMatchObject({ purpose: 'review_invite', card: { pagePath: `${t.config.feedback.sharePage}?id=${surveyId}` } });
    expect(await casesOf(client.id)).toEqual([]);
    expect((await t.http.get('/api/mp/surveys').set(bearer(token))).body.items).toEqual([]);

    const shares = await Promise.all([t, t2, t].map((ctx) => ctx.http.post(`/api/mp/surveys/${surveyId}/share`).set(bearer(token)).send({ channel: 'xiaohongshu' })));

    expect(shares.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(shares.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(shares.every((r) => r.body.points === t.config.points.reviewShared)).toBe(true);
    expect(await t.services.points.balance(client.id)).toBe(t.config.points.reviewShared);
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM points_entries WHERE client_id = ? AND reason = 'review_shared'", [client.id]);
    expect(Number(n)).toBe(1);
    const again = await t.http.get(`/api/mp/surveys/${surveyId}`).set(bearer(token));
    expect(again.body.canShare).toBe(false);
    expect(again.body.sharedAt).not.toBeNull();
  });

  it('sharing is refused below 9 and for a WeChat share channel', async () => {
    const { token, surveyId } = await surveyed();
    expect((await answer(token, surveyId, { indicators: scores(4), nps: 8 })).status).toBe(200);

    const low = await t.http.post(`/api/mp/surveys/${surveyId}/share`).set(bearer(token)).send({ channel: 'dianping' });
    const wechat = await t.http.post(`/api/mp/surveys/${surveyId}/share`).set(bearer(token)).send({ channel: 'wechat_moments' });

    expect(low.status).toBe(409);
    expect(low.body.error.code).toBe('SURVEY_NOT_SHAREABLE');
    expect(wechat.status).toBe(400);
    expect(wechat.body.error.details[0].field).toBe('body.channel');
  });

  it('a low score opens a graded case with a staff task due within the deadline; resolving closes both', async () => {
    const { client, token, surveyId } = await surveyed();
    const now = t.clock.now();

    const res = await answer(token, surveyId, { indicators: scores(3, { aftercare: 2 }), nps: 3, comment: '术后没人回访' });

    expect(res.status).toBe(200);
    const [kase] = await casesOf(client.id);
    // A poor rating goes to the supervisor (主管: SUPERVISOR_ROLE, the director by default).
    expect(kase).toMatchObject({ source: 'survey', grade: 'high', status: 'open', assignee_role: t.config.feedback.supervisorRole });
    expect(new Date(kase.deadline_at).getTime()).toBe(now.getTime() + t.config.feedback.caseDeadlineHours * HOUR);
    const task = await taskOf(kase.public_id);
    expect(task).toMatchObject({ kind: 'feedback_case', status: 'open', client_id: client.id, assignee_role: t.config.feedback.supervisorRole });
    expect(new Date(task!.due_at).getTime()).toBe(new Date(kase.deadline_at).getTime());
    expect(JSON.stringify(task!.details)).not.toContain('术后没人回访');
    expect(await t.services.outbox.listForClient(client.id, 'client_message')).toEqual([]);

    const list = await t.http.get('/api/staff/cases?status=open').set(bearer(serviceToken));
    expect(list.status).toBe(200);
    expect(list.body.items.find((c: { id: string }) => c.id === kase.public_id)).toMatchObject({ client: { id: client.publicId }, survey: { id: surveyId, nps: 3 } });
    const detail = await t.http.get(`/api/staff/cases/${kase.public_id}`).set(bearer(serviceToken));
    expect(detail.body.answer).toMatchObject({ nps: 3, comment: '术后没人回访', indicators: { aftercare: 2, attitude: 3 } });
    expect((await t.http.get('/api/staff/cases').set(bearer(doctorToken))).status).toBe(403);

    const resolved = await t.http.post(`/api/staff/cases/${kase.public_id}/resolve`).set(bearer(serviceToken)).send({ resolution: '已电话回访并安排复诊' });
    const twice = await t.http.post(`/api/staff/cases/${kase.public_id}/resolve`).set(bearer(serviceToken)).send({ resolution: '再次' });

    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: '已电话回访并安排复诊', resolvedBy: { id: expect.any(String) } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('CASE_ALREADY_RESOLVED');
    expect((await taskOf(kase.public_id))!.status).toBe('cancelled');
    const audits = await t.deps.db.query("SELECT action FROM audit_log WHERE client_id = ? AND action LIKE 'feedback.%' ORDER BY id", [client.id]);
    expect(audits.map((a: { action: string }) => a.action)).toEqual(['feedback.case.view', 'feedback.case.resolve']);
  });

  it('a low indicator alone opens a low-grade case; a good answer opens none', async () => {
    const low = await surveyed();
    const good = await surveyed();

    await answer(low.token, low.surveyId, { indicators: scores(4, { waiting: 2 }), nps: 8 });
    await answer(good.token, good.surveyId, { indicators: scores(4, { waiting: 3 }), nps: 7 });

    expect((await casesOf(low.client.id)).map((c) => c.grade)).toEqual(['low']);
    expect(await casesOf(good.client.id)).toEqual([]);
  });

  it('an overdue case alerts the director once, even when the task runs twice on two instances', async () => {
    const { client, token, surveyId } = await surveyed();
    await answer(token, surveyId, { indicators: scores(3), nps: 5 });
    const [kase] = await casesOf(client.id);
    const alerts = async () =>
      (await t.deps.db.query("SELECT * FROM outbox_messages WHERE kind = 'staff_alert' AND dedupe_key = ?", [`case_overdue:${kase.public_id}`])) as Record<string, any>[];
    const start = t.clock.now();
    const s1 = await startScheduler(t.deps, t.services, { cron: false });
    const s2 = await startScheduler(t2.deps, t2.services, { cron: false });
    try {
      t.clock.set(new Date(new Date(kase.deadline_at).getTime() - 60_000));
      t2.clock.set(t.clock.now());
      await s1.runOnce('case-sla', 'before-deadline');
      expect(await alerts()).toEqual([]);

      t.clock.set(new Date(new Date(kase.deadline_at).getTime() + 60_000));
      t2.clock.set(t.clock.now());
      const [a, b] = await Promise.all([s1.runOnce('case-sla', 'tick-a'), s2.runOnce('case-sla', 'tick-b'), t2.services.feedback.escalateOverdue()]);
      await s1.runOnce('case-sla', 'tick-c');

      expect([a.ran, b.ran]).toEqual([true, true]);
      const rows = await alerts();
      expect(rows).toHaveLength(1);
      const payload = t.services.outbox.openPayload(rows[0].dedupe_key, rows[0].payload_enc);
      expect(payload).toMatchObject({ staffRole: 'director', text: expect.stringContaining(kase.public_id) });
      expect((await casesOf(client.id))[0].escalated_at).not.toBeNull();
      const listed = await t.http.get('/api/staff/cases?overdue=true').set(bearer(directorToken));
      expect(listed.body.items.find((c: { id: string }) => c.id === kase.public_id)).toMatchObject({ overdue: true, escalatedAt: expect.any(String) });
    } finally {
      t.clock.set(start);
      t2.clock.set(start);
      await Promise.all([s1.stop(), s2.stop()]);
    }
  });

  it('a client files a complaint: one graded case with its task even when sent four times at once, text encrypted at rest', async () => {
    const { client, token, orderPublicId } = await surveyed();
    const other = await surveyed();
    const requestId = randomUUID();
    const body = { category: 'complication', text: '鼻子术后一直红肿', orderId: orderPublicId, requestId };
    const complain = (b: object, tok = token) => t.http.post('/api/mp/complaints').set(bearer(tok)).send(b);

    const burst = await Promise.all([t, t2, t, t2].map((ctx) => ctx.http.post('/api/mp/complaints').set(bearer(token)).send(body)));
    const replay = await complain(body);
    const reused = await complain({ ...body, text: '另一件事情说明' });
    const foreignOrder = await complain({ ...body, requestId: randomUUID(), orderId: other.orderPublicId });
    const badCategory = await complain({ ...body, requestId: randomUUID(), category: 'angry' });

    expect(burst.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const first = burst.find((r) => !r.body.replayed)!;
    expect(burst.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(new Set(burst.map((r) => r.body.complaint.id)).size).toBe(1);
    expect(first.body.complaint).toMatchObject({ category: 'complication', status: 'open' });
    expect(replay.body).toMatchObject({ replayed: true, complaint: { id: first.body.complaint.id } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(foreignOrder.status).toBe(400);
    expect(foreignOrder.body.error.details).toEqual([expect.objectContaining({ field: 'body.orderId' })]);
    expect(badCategory.status).toBe(400);
    const cases = await casesOf(client.id);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ source: 'complaint', grade: 'high', category: 'complication', public_id: first.body.complaint.id });
    expect(Buffer.from(cases[0].text_enc).toString('utf8')).not.toContain('红肿');
    expect(await taskOf(cases[0].public_id)).toMatchObject({ status: 'open', kind: 'feedback_case' });
    expect((await t.http.get('/api/mp/complaints').set(bearer(token))).body.items.map((c: { id: string }) => c.id)).toEqual([first.body.complaint.id]);
    expect((await t.http.get('/api/mp/complaints').set(bearer(other.token))).body.items).toEqual([]);
    const detail = await t.http.get(`/api/staff/cases/${first.body.complaint.id}`).set(bearer(directorToken));
    expect(detail.body).toMatchObject({ text: '鼻子术后一直红肿', order: { id: orderPublicId }, grade: 'high' });
  });

  it('a client cannot read, answer or share another client\'s survey', async () => {
    const mine = await surveyed();
    const theirs = await surveyed();

    const read = await t.http.get(`/api/mp/surveys/${theirs.surveyId}`).set(bearer(mine.token));
    const written = await answer(mine.token, theirs.surveyId, { indicators: scores(5), nps: 10 });
    const shared = await t.http.post(`/api/mp/surveys/${theirs.surveyId}/share`).set(bearer(mine.token)).send({ channel: 'other' });
    const anonymous = await t.http.get(`/api/mp/surveys/${theirs.surveyId}`);

    expect([read.status, written.status, shared.status]).toEqual([404, 404, 404]);
    expect(anonymous.status).toBe(401);
    const [row] = await t.deps.db.query('SELECT status, nps FROM satisfaction_surveys WHERE public_id = ?', [theirs.surveyId]);
    expect(row).toMatchObject({ status: 'open', nps: null });
    expect((await t.http.get(`/api/mp/surveys/${theirs.surveyId}`).set(bearer(theirs.token))).body.status).toBe('open');
  });

  it('a digit replied in WeCom answers only a survey asked in the chat: before its invitation got there, or sent another way, nothing happens', async () => {
    const { client, surveyId } = await surveyed();
    const nobody = await createClient(t);

    const notYet = await t.services.feedback.recordNpsReply(client.id, 2);
    await invited(client.id, surveyId, 'subscribe');
    const bySubscribe = await t.services.feedback.recordNpsReply(client.id, 2);
    const askedBefore = await t.services.feedback.hasSurveyAskedInChat(client.id);
    await invited(client.id, surveyId, 'wecom');
    const askedAfter = await t.services.feedback.hasSurveyAskedInChat(client.id);
    const recorded = await t.services.feedback.recordNpsReply(client.id, 2);
    const none = await t.services.feedback.recordNpsReply(nobody.id, 9);
    const again = await t.services.feedback.recordNpsReply(client.id, 10);

    expect([notYet, bySubscribe, askedBefore, askedAfter]).toEqual([null, null, false, true]);
    expect(recorded).toEqual({ surveyId, nps: 2 });
    expect(none).toBeNull();
    expect(again).toBeNull();
    expect(await t.services.feedback.hasSurveyAskedInChat(client.id)).toBe(false);
    expect((await casesOf(client.id)).map((c) => [c.source, c.grade])).toEqual([['survey', 'high']]);
    await expect(t.services.feedback.recordNpsReply(client.id, 11)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('an invitation is recorded once, a WeCom one replacing another channel\'s; a digit answers the survey asked in the chat last', async () => {
    const { client, surveyId: first } = await surveyed();
    const second = await t.services.feedback.openSurvey(null, { clientId: client.id, orderId: (await createPaidOrder(t, { client, doctor, projectIds: [projectId] })).id });
    const at = (h: number) => new Date(t.clock.now().getTime() + h * HOUR);
    const invitation = async (id: string) => (await t.deps.db.query('SELECT invited_at, invited_via FROM satisfaction_surveys WHERE public_id = ?', [id]))[0];

    await invited(client.id, first, 'staff_task', at(-3));
    await invited(client.id, first, 'subscribe', at(-2));
    expect(await invitation(first)).toEqual({ invited_at: at(-3), invited_via: 'staff_task' });
    await invited(client.id, first, 'wecom', at(-1));
    await invited(client.id, second, 'wecom', at(-2));
    await invited(client.id, first, 'wecom', at(0));
    await invited(client.id, first, 'subscribe', at(0));
    // Another client's delivery never marks this client's survey.
    await invited((await createClient(t)).id, second, 'subscribe', at(0));
    expect(await invitation(first)).toEqual({ invited_at: at(-1), invited_via: 'wecom' });
    expect(await invitation(second)).toEqual({ invited_at: at(-2), invited_via: 'wecom' });

    const replies = [await t.services.feedback.recordNpsReply(client.id, 8), await t.services.feedback.recordNpsReply(client.id, 7)];

    // The first survey was asked in the chat last (though opened first): the first digit is its answer.
    expect(replies).toEqual([{ surveyId: first, nps: 8 }, { surveyId: second, nps: 7 }]);
  });

  it('an expired survey cannot be answered and is no longer pending', async () => {
    const { token, surveyId } = await surveyed();
    const start = t.clock.now();
    t.clock.advance((t.config.feedback.surveyValidDays + 1) * 24 * HOUR);
    try {
      const res = await answer(token, surveyId, { indicators: scores(5), nps: 10 });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('SURVEY_EXPIRED');
      expect((await t.http.get('/api/mp/surveys').set(bearer(token))).body.items).toEqual([]);
    } finally {
      t.clock.set(start);
    }
  });

  it('the satisfaction report gives NPS and the indicator averages per doctor and per project', async () => {
    const start = t.clock.now();
    // A day of its own: no other test answers surveys then.
    t.clock.set('2031-07-15T03:00:00Z');
    try {
      const [a, b] = await Promise.all([createStaff(t, 'doctor', { displayName: '甲医生' }), createStaff(t, 'doctor', { displayName: '乙医生' })]);
      const [p1, p2] = await Promise.all([createProject(t, '项目一'), createProject(t, '项目二')]);
      const answered = async (doc: Staff, projectIds: number[], nps: number, indicators: Record<string, number> | null) => {
        const client = await createClient(t);
        const order = await createPaidOrder(t, { client, doctor: doc, projectIds });
        const surveyId = await t.services.feedback.openSurvey(null, { clientId: client.id, orderId: order.id });
        if (indicators) await answer(await clientToken(t, client), surveyId, { indicators, nps });
        else {
          await invited(client.id, surveyId, 'wecom');
          await t.services.feedback.recordNpsReply(client.id, nps);
        }
      };
      await answered(a, [p1.id], 10, scores(5));
      await answered(a, [p1.id, p2.id], 9, scores(4));
      await answered(a, [p2.id], 7, scores(3));
      await answered(b, [p2.id, p2.id], 6, scores(3, { attitude: 2 }));
      await answered(b, [p1.id], 0, null);
      // Outside the range: answered the next day.
      t.clock.set('2031-07-16T03:00:00Z');
      await answered(a, [p1.id], 0, scores(1));

      const res = await t.http.get('/api/staff/reports/satisfaction?from=2031-07-15&to=2031-07-15').set(bearer(directorToken));

      expect(res.status).toBe(200);
      const doctorRow = (id: string) => res.body.byDoctor.find((d: { doctor: { id: string } }) => d.doctor.id === id);
      const projectRow = (id: string) => res.body.byProject.find((p: { project: { id: string } }) => p.project.id === id);
      expect(doctorRow(a.publicId)).toMatchObject({
        doctor: { name: '甲医生' }, responses: 3, promoters: 2, passives: 1, detractors: 0, nps: 66.7, indicators: { attitude: 4, privacy: 4 },
      });
      expect(doctorRow(b.publicId)).toMatchObject({
        responses: 2, promoters: 0, passives: 0, detractors: 2, nps: -100, indicators: { attitude: 2, professionalism: 3 },
      });
      expect(projectRow(p1.publicId)).toMatchObject({ project: { name: '项目一' }, responses: 3, promoters: 2, detractors: 1, nps: 33.3, indicators: { attitude: 4.5 } });
      expect(projectRow(p2.publicId)).toMatchObject({ responses: 3, promoters: 1, passives: 1, detractors: 1, nps: 0, indicators: { attitude: 3, waiting: 3.33 } });
      expect(res.body.overall).toMatchObject({ responses: 5, promoters: 2, detractors: 2, nps: 0 });

      const backwards = await t.http.get('/api/staff/reports/satisfaction?from=2031-07-16&to=2031-07-15').set(bearer(directorToken));
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.details[0].field).toBe('query.to');
      expect((await t.http.get('/api/staff/reports/satisfaction?from=2031-02-30').set(bearer(directorToken))).status).toBe(400);
      expect((await t.http.get('/api/staff/reports/satisfaction').set(bearer(serviceToken))).status).toBe(403);
    } finally {
      t.clock.set(start);
    }
  });

  it('the client\'s export lists their answers and complaints; deleting the account erases the free texts', async () => {
    const { client, token, surveyId } = await surveyed();
    await answer(token, surveyId, { indicators: scores(2), nps: 4, comment: '效果不理想' });
    const complaint = await t.http.post('/api/mp/complaints').set(bearer(token)).send({ category: 'billing', text: '收费和报价不一致', requestId: randomUUID() });

    const created = await t.http.post('/api/mp/me/exports').set(bearer(token));
    const exported = (await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(token))).body;
    const deleted = await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true });

    expect(exported.satisfactionSurveys).toEqual([expect.objectContaining({ id: surveyId, nps: 4, comment: '效果不理想', indicators: expect.objectContaining({ value: 2 }) })]);
    expect(exported.complaints).toEqual([expect.objectContaining({ id: complaint.body.complaint.id, category: 'billing', text: '收费和报价不一致' })]);
    expect(deleted.status).toBe(204);
    const [survey] = await t.deps.db.query('SELECT comment_enc, nps FROM satisfaction_surveys WHERE public_id = ?', [surveyId]);
    expect(survey).toEqual({ comment_enc: null, nps: 4 });
    expect((await casesOf(client.id)).map((c) => [c.text_enc, c.resolution_enc])).toEqual([[null, null], [null, null]]);
  });

  it('feedback reaches other modules only through their index', () => {
    const dir = join(__dirname, '../../src/modules/feedback');
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect([file, source.match(/from '\.\.\/[^'./]+\/[^']+'/g) ?? []]).toEqual([file, []]);
    }
  });
});
