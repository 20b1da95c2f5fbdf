import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { createTestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { recordOrder, seededProject, staffActor } from '../helpers/orders';
import { change, MonthlySummary, monthlySummaryTask } from '../../src/modules/reports';
import type { Staff } from '../../src/modules/staff';

describe('the monthly summary pushed to the director on the 1st', () => {
  let t: WeComTestContext;
  let director: Staff, doctor: Staff;
  const at = (iso: string) => new Date(iso);
  const runTask = (now: Date) => monthlySummaryTask.run({ deps: t.deps, services: t.services, now });
  const cardsTo = (userid: string) => t.wecom.appMessages.filter((m: any) => m.touser.includes(userid));
  const rows = () => t.deps.db.query('SELECT month, staff_id AS staffId, status, attempts FROM report_summaries ORDER BY month, staff_id');

  beforeAll(async () => {
    // Its own database: the summary counts every order and lead of the hospital.
    t = await createWeComTestContext({ now: '2026-12-01T01:00:00Z', isolatedDatabase: true, env: { ORDER_MAX_BACKDATE_DAYS: '400' } });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    await t.services.wecomOfficial.linkStaffUser(t.users.zhangsan, director.id);
    const project = await seededProject(t, 'photorejuvenation');
    const pay = async (channel: string, createdAt: string, paidAt: string, amountFen: number) => {
      const c = await createClient(t, { sourceChannel: channel });
      await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
      await recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }], treated: false });
    };
    // October: one lead paying ¥1,000 on ¥500 of spend; November: two leads paying ¥1,500 in all on ¥1,000.
    await pay('douyin', '2026-10-03T03:00:00Z', '2026-10-05T03:00:00Z', 100_000);
    await pay('douyin', '2026-11-03T03:00:00Z', '2026-11-05T03:00:00Z', 50_000);
    // Shanghai's 30 November 23:30 is November (15:30 UTC).
    await pay('xiaohongshu', '2026-11-10T03:00:00Z', '2026-11-30T15:30:00Z', 100_000);
    await t.services.marketing.addSpend(staffActor(director), { channel: 'douyin', month: '2026-10', amountFen: 50_000 });
    await t.services.marketing.addSpend(staffActor(director), { channel: 'douyin', month: '2026-11', amountFen: 100_000 });
  });
  afterAll(async () => { await t.close(); });

  it("on the 1st at 09:00 Shanghai the director gets last month's figures beside the month before, as a card opening the console's report", async () => {
    const sent = await runTask(at('2026-12-01T01:00:00Z'));

    expect(sent).toEqual({ items: 1 });
    const [card] = cardsTo(t.users.zhangsan);
    expect(card).toMatchObject({ title: '2026年11月经营月报', url: `${t.config.publicUrl}/console/reports/roi?from=2026-11&to=2026-11` });
    expect(card.description.split('\n')).toEqual([
      '收入 ¥1,500（环比+50%）',
      '新线索 2（环比+100%）',
      '新付费客户 2（环比+100%）',
      '投放 ¥1,000（环比+100%）',
      'ROI 0.50（环比-50%）',
    ]);
    expect(await rows()).toEqual([{ month: '2026-11', staffId: director.id, status: 'sent', attempts: 1 }]);
  });

  it('a second run the same day, and a second scheduler at the same time next month, send nothing twice', async () => {
    await runTask(at('2026-12-01T02:00:00Z'));
    expect(cardsTo(t.users.zhangsan)).toHaveLength(1);

    const other = await createTestContext({ now: '2027-01-01T01:00:00Z', shareDatabaseOf: t });
    try {
      const elsewhere = new MonthlySummary({ db: other.deps.db, clock: other.clock, marketing: other.services.marketing, notices: t.services.wecomOfficial.notices, logger: other.deps.logger });
      const january = at('2027-01-01T01:00:00Z');
      const [a, b] = await Promise.all([runTask(january), elsewhere.run(january)]);
      expect(a.items + b).toBe(1);
    } finally {
      await other.close();
    }
    expect(cardsTo(t.users.zhangsan).map((c: any) => c.title)).toEqual(['2026年11月经营月报', '2026年12月经营月报']);
  });

  it('what WeCom deferred goes out on a later run; a director without WeCom stays on the console', async () => {
    const offline = await createStaff(t, 'director');
    // Busy for every retry of one call: the run hands the notice back.
    t.wecom.failNext('message_send', 45009, t.config.wecom.maxRetries + 1);
    const february = at('2027-02-01T01:00:00Z');
    expect(await runTask(february)).toEqual({ items: 0 });
    const feb = async () => (await rows()).filter((r: any) => r.month === '2027-01');
    expect((await feb()).map((r: any) => r.status)).toEqual(['pending', 'unreachable']);

    t.clock.advance(3600_000);
    expect(await runTask(at('2027-02-01T02:00:00Z'))).toEqual({ items: 1 });
    expect(await feb()).toEqual([
      { month: '2027-01', staffId: director.id, status: 'sent', attempts: 2 },
      { month: '2027-01', staffId: offline.id, status: 'unreachable', attempts: 1 },
    ]);
  });

  it('the month summarised is the Shanghai month before: 1 March 00:30 there (28 Feb UTC) summarises February', async () => {
    const card = await t.services.monthlySummary.compose('2027-02');
    expect(card.title).toBe('2027年2月经营月报');
    await t.services.monthlySummary.run(at('2027-02-28T16:30:00Z'));
    expect((await rows()).map((r: any) => r.month)).toContain('2027-02');
    const before = (await rows()).length;
    await t.services.monthlySummary.run(at('2027-02-28T15:30:00Z')); // 28 Feb 23:30 in Shanghai: January, already done
    expect((await rows()).length).toBe(before);
  });

  it('month-on-month change: rounded to one decimal, none when the month before had nothing', () => {
    expect(change(150, 100)).toBe('环比+50%');
    expect(change(1, 3)).toBe('环比-66.7%');
    expect(change(100, 100)).toBe('持平');
    expect(change(0, 0)).toBe('持平');
    expect(change(5, 0)).toBe('上月为0');
    expect(change(null, 5)).toBe('上月无数据');
    expect(change(-50, -100)).toBe('环比+50%');
  });
});
