import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { randomUUID } from 'node:crypto';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { startScheduler, SchedulerHandle } from '../../src/scheduler';
import { publicId } from '../../src/shared/crypto';
import type { Staff } from '../../src/modules/staff/staff.entity';

describe('staff work notices through the WeCom app: new work per staff member, batched, once', () => {
  let t: WeComTestContext;
  let zhang: Staff;
  let li: Staff;
  let wang: Staff;
  let s1: SchedulerHandle;
  let s2: SchedulerHandle;
  let tick = 0;
  let n = 0;
  // The scheduler's Redis claim per tick is bypassed (a tick key each): what keeps notices single is the unique key.
  const runBoth = () => Promise.all([s1.runOnce('wecom-work-notices', `a${++tick}`), s2.runOnce('wecom-work-notices', `b${tick}`)]);
  const task = (over: { assigneeRole?: Staff['role']; assigneeId?: number | null } = {}) => t.services.worklist.create(null, {
    kind: 'callback', dedupeKey: `work-notice-test:${++n}`, assigneeRole: over.assigneeRole ?? 'consultant', assigneeId: over.assigneeId ?? null, title: '回访客户',
  });
  const cardsTo = (userid: string, from: number) => t.wecom.appMessages.slice(from).filter((m) => m.touser.includes(userid));

  beforeAll(async () => {
    t = await createWeComTestContext({ isolatedDatabase: true, env: { CASE_ASSIGNEE_ROLE: 'director', CASE_DEADLINE_HOURS: '24' } });
    [zhang, li, wang] = await Promise.all([createStaff(t, 'consultant'), createStaff(t, 'consultant'), createStaff(t, 'director')]);
    await t.services.wecomOfficial.linkStaffUser(t.users.zhangsan, zhang.id);
    await t.services.wecomOfficial.linkStaffUser(t.users.lisi, li.id);
    await t.services.wecomOfficial.linkStaffUser(t.users.wangwu, wang.id);
    [s1, s2] = await Promise.all([startScheduler(t.deps, t.services, { cron: false }), startScheduler(t.deps, t.services, { cron: false })]);
    await task(); // before the first run: history, not news
    await runBoth();
  });
  beforeEach(() => { t.clock.advance(60_000); });
  afterAll(async () => { await s1.stop(); await s2.stop(); await t.close(); });

  it('work created before the first run is not news', async () => {
    const before = t.wecom.appMessages.length;
    await runBoth();
    expect(t.wecom.appMessages.length).toBe(before);
  });

  it('a role task reaches every member of the role, an assigned one only its assignee; three tasks are one card per staff member, sent once by two schedulers', async () => {
    const before = t.wecom.appMessages.length;
    await task();
    await task({ assigneeId: zhang.id });
    await task({ assigneeId: zhang.id });

    await runBoth();
    await runBoth();

    const toZhang = cardsTo(t.users.zhangsan, before);
    const toLi = cardsTo(t.users.lisi, before);
    expect(toZhang).toEqual([expect.objectContaining({ title: '您有 3 项待处理工作', description: '新任务 3 项', url: `${t.config.publicUrl}/console/` })]);
    expect(toLi).toEqual([expect.objectContaining({ title: '您有 1 项待处理工作', description: '新任务 1 项' })]);
    expect(cardsTo(t.users.wangwu, before)).toEqual([]);
  });

  it('a post submitted for approval reaches the approvers (the director), once; submitted again after rejection, it is news again', async () => {
    const zhangToken = await staffToken(t, zhang);
    const wangToken = await staffToken(t, wang);
    const created = await t.http.post('/api/staff/community/posts').set(bearer(zhangToken)).send({
      title: '医生直播答疑', text: '本周三晚八点，李医生在线解答术后护理问题。', audience: { roomTopics: ['美丽学院1群'] },
      schedule: { kind: 'once', at: new Date(t.clock.now().getTime() + 24 * 3600_000).toISOString() },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const before = t.wecom.appMessages.length;
    expect((await t.http.post(`/api/staff/community/posts/${id}/submit`).set(bearer(zhangToken)).send()).status).toBe(200);
    await runBoth();
    t.clock.advance(60_000);
    await runBoth();
    expect(cardsTo(t.users.wangwu, before)).toEqual([expect.objectContaining({ description: '待审核帖子 1 项', url: `${t.config.publicUrl}/console/community` })]);
    expect(cardsTo(t.users.zhangsan, before)).toEqual([]);

    expect((await t.http.post(`/api/staff/community/posts/${id}/reject`).set(bearer(wangToken)).send({ reason: '请补充医生资质' })).status).toBe(200);
    t.clock.advance(60_000);
    expect((await t.http.post(`/api/staff/community/posts/${id}/submit`).set(bearer(zhangToken)).send()).status).toBe(200);
    await runBoth();
    expect(cardsTo(t.users.wangwu, before)).toHaveLength(2);
  });

  it('when WeCom is busy the batch waits for the next run and then goes out once', async () => {
    const before = t.wecom.appMessages.length;
    await task({ assigneeId: li.id });
    t.wecom.failNext('message_send', 45009, 10);
    await runBoth();
    expect(cardsTo(t.users.lisi, before)).toEqual([]);

    t.clock.advance(60_000);
    await runBoth();
    await runBoth();
    expect(cardsTo(t.users.lisi, before)).toEqual([expect.objectContaining({ description: '新任务 1 项' })]);
  });

  it('a complaint reaches the case role as a new case and its task in one card; when its deadline passes it is news once more, once', async () => {
    const client = await createClient(t);
    const before = t.wecom.appMessages.length;
    await t.services.feedback.complain(client.id, { category: 'service_attitude', text: '前台等了很久没人理', requestId: randomUUID() });

    await runBoth();
    expect(cardsTo(t.users.wangwu, before)).toEqual([expect.objectContaining({ title: '您有 2 项待处理工作', description: '新工单 1 项\n新任务 1 项' })]);
    expect(cardsTo(t.users.zhangsan, before)).toEqual([]);

    t.clock.advance(24 * 3600_000 - 2 * 60_000);
    await runBoth();
    expect(cardsTo(t.users.wangwu, before)).toHaveLength(1);
    t.clock.advance(2 * 60_000);
    await runBoth();
    t.clock.advance(60_000);
    await runBoth();
    expect(cardsTo(t.users.wangwu, before).slice(1)).toEqual([expect.objectContaining({ description: '超时工单 1 项' })]);
  });

  it('an A-grade lead reaches the client\'s consultant, or every consultant when the client has none; other grades are not notices', async () => {
    // Response rows as the questionnaires module writes them (only the columns the lead feed reads matter here).
    const submit = async (consultantId: number | null, grade: string) => {
      const client = await createClient(t, { consultantId });
      await t.deps.db.query(
        `INSERT INTO questionnaire_responses (public_id, client_id, template_id, version_id, submission_id, request_hash, submitted_at, intent_score,
           intent_components, lead_grade, risk_tolerance, completeness_pct, expectation_flags, answers_enc)
         VALUES (?, ?, 1, 1, UUID(), REPEAT('0', 64), ?, 90, '{}', ?, 'medium', 100, '[]', 'x')`,
        [publicId(), client.id, t.clock.now(), grade],
      );
    };
    const before = t.wecom.appMessages.length;
    await submit(li.id, 'A');
    await submit(li.id, 'B');
    await submit(null, 'A');

    await runBoth();

    expect(cardsTo(t.users.lisi, before)).toEqual([expect.objectContaining({ description: 'A级线索 2 项', url: `${t.config.publicUrl}/console/leads` })]);
    expect(cardsTo(t.users.zhangsan, before)).toEqual([expect.objectContaining({ description: 'A级线索 1 项' })]);
    expect(cardsTo(t.users.wangwu, before)).toEqual([]);
  });

  it('forgets settled rows after 30 days, and not before', async () => {
    const [{ newest }] = await t.deps.db.query('SELECT MAX(sent_at) AS newest FROM wecom_work_notices');
    // The rows settled so far (the post still waiting for approval may be news again after 30 days).
    const settled = async () => Number((await t.deps.db.query('SELECT COUNT(*) AS n FROM wecom_work_notices WHERE sent_at <= ?', [newest]))[0].n);
    expect(await settled()).toBeGreaterThan(0);

    t.clock.set(new Date(new Date(newest).getTime() + 30 * 24 * 3600_000 - 1000));
    await runBoth();
    expect(await settled()).toBeGreaterThan(0);
    t.clock.advance(2000);
    await runBoth();
    expect(await settled()).toBe(0);
  });
});
