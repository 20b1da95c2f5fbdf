import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { externalNo, recordOrder, seededProject, staffActor } from '../helpers/orders';
import { grantHealthConsent, insertSurvey, proposedPlan } from '../helpers/consultations';
import ExcelJS from 'exceljs';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

/** Figures of one report row, by channel and month. */
type Row = Record<string, any>;
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};
const rowOf = (rows: Row[], channel: string, month: string | null = null) => rows.find((r) => r.channel === channel && r.month === month);

describe('marketing spend and the channel ROI report', () => {
  let t: TestContext;
  let director: Staff, consultant: Staff, doctor: Staff;
  let directorToken: string, consultantToken: string;
  const at = (iso: string) => new Date(iso);
  const audit = (action: string) => t.deps.db.query('SELECT actor_id AS actorId, details FROM audit_log WHERE action = ? ORDER BY id', [action]);

  async function client(channel: string | null, createdAt: string, extra: Partial<Client> = {}): Promise<Client> {
    const c = await createClient(t, { sourceChannel: channel, ...extra });
    await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
    return c;
  }
  const order = async (c: Client, paidAt: string, amountFen: number) => {
    const project = await seededProject(t, 'photorejuvenation');
    return recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }] });
  };

  beforeAll(async () => {
    // Its own database: the report counts every client and order of the hospital.
    t = await createTestContext({ now: '2026-04-10T02:00:00Z', isolatedDatabase: true, env: { ORDER_MAX_BACKDATE_DAYS: '400' } });
    director = await createStaff(t, 'director');
    consultant = await createStaff(t, 'consultant');
    doctor = await createStaff(t, 'doctor');
    directorToken = await staffToken(t, director);
    consultantToken = await staffToken(t, consultant);
  });
  afterAll(async () => { await t.close(); });

  describe('spend', () => {
    it('the director records spend; a correction is a new entry carrying the difference, both audited, the entry untouched', async () => {
      const add = await t.http.post('/api/staff/marketing/spend').set(bearer(directorToken))
        .send({ channel: 'xiaohongshu', month: '2026-02', campaign: 'spring_nose', amountFen: 1_000_000, note: '达人种草' });
      expect(add.status).toBe(201);
      expect(add.body).toMatchObject({ channel: 'xiaohongshu', month: '2026-02', campaign: 'spring_nose', amountFen: 1_000_000, corrects: null, recordedBy: director.publicId });

      const fix = await t.http.post(`/api/staff/marketing/spend/${add.body.id}/corrections`).set(bearer(directorToken)).send({ amountFen: 800_000, reason: '发票金额更正' });
      expect(fix.status).toBe(201);
      expect(fix.body).toMatchObject({ channel: 'xiaohongshu', month: '2026-02', campaign: 'spring_nose', amountFen: -200_000, corrects: add.body.id });
      // Correcting the correction corrects the entry: the difference is to the amount as it stands.
      const again = await t.http.post(`/api/staff/marketing/spend/${fix.body.id}/corrections`).set(bearer(directorToken)).send({ amountFen: 850_000, reason: '补录' });
      expect(again.body).toMatchObject({ amountFen: 50_000, corrects: add.body.id });
      await t.http.post(`/api/staff/marketing/spend/${add.body.id}/corrections`).set(bearer(directorToken)).send({ amountFen: 800_000, reason: '再次更正' }).expect(201);

      const [original] = await t.deps.db.query('SELECT amount_fen AS amountFen FROM marketing_spend WHERE public_id = ?', [add.body.id]);
      expect(Number(original.amountFen)).toBe(1_000_000);
      const list = await t.http.get('/api/staff/marketing/spend?from=2026-02&to=2026-02').set(bearer(directorToken));
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: Row) => i.amountFen)).toEqual([1_000_000, -200_000, 50_000, -50_000]);
      expect(list.body.items[0].effectiveFen).toBe(800_000);
      expect(list.body.totalFen).toBe(800_000);
      expect(await audit('marketing.spend.create')).toEqual([expect.objectContaining({ actorId: director.id })]);
      expect((await audit('marketing.spend.correct')).map((a: Row) => a.details.toFen)).toEqual([800_000, 850_000, 800_000]);
    });

    it('spend for a channel that does not exist is a 422 naming body.channel, nothing written', async () => {
      const res = await t.http.post('/api/staff/marketing/spend').set(bearer(directorToken)).send({ channel: 'tiktok_global', month: '2026-03', amountFen: 100 });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('SPEND_CHANNEL_UNKNOWN');
      expect(res.body.error.details.map((d: Row) => d.field)).toEqual(['body.channel']);
      const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM marketing_spend WHERE channel = 'tiktok_global'");
      expect(Number(n)).toBe(0);
    });

    it('bad amounts and months are 400s naming the field; a correction to the same amount is a 409; an unknown entry a 404', async () => {
      const cases: [Row, string][] = [
        [{ channel: 'douyin', month: '2026-13', amountFen: 1 }, 'body.month'],
        [{ channel: 'douyin', month: '2026-03', amountFen: -5 }, 'body.amountFen'],
        [{ channel: 'douyin', month: '2026-03', amountFen: 12.5 }, 'body.amountFen'],
        [{ channel: 'douyin', month: '2026-03', amountFen: 1, extra: 1 }, 'body.extra'],
      ];
      for (const [body, field] of cases) {
        const res = await t.http.post('/api/staff/marketing/spend').set(bearer(directorToken)).send(body);
        expect(res.status).toBe(400);
        expect(res.body.error.details.map((d: Row) => d.field)).toContain(field);
      }
      const add = await t.http.post('/api/staff/marketing/spend').set(bearer(directorToken)).send({ channel: 'douyin', month: '2026-03', amountFen: 500_000 });
      const same = await t.http.post(`/api/staff/marketing/spend/${add.body.id}/corrections`).set(bearer(directorToken)).send({ amountFen: 500_000, reason: '无变化' });
      expect([same.status, same.body.error.code]).toEqual([409, 'SPEND_UNCHANGED']);
      const missing = await t.http.post('/api/staff/marketing/spend/AAAAAAAAAAAAAAAAAAAAAA/corrections').set(bearer(directorToken)).send({ amountFen: 1, reason: 'x' });
      expect(missing.status).toBe(404);
      const backwards = await t.http.get('/api/staff/reports/roi?from=2026-03&to=2026-02').set(bearer(directorToken));
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.details.map((d: Row) => d.field)).toEqual(['query.to']);
    });

    it('only the director records spend or reads the report (403 for a consultant)', async () => {
      const add = await t.http.post('/api/staff/marketing/spend').set(bearer(consultantToken)).send({ channel: 'douyin', month: '2026-03', amountFen: 1 });
      const report = await t.http.get('/api/staff/reports/roi?from=2026-02&to=2026-03').set(bearer(consultantToken));
      expect([add.status, report.status]).toEqual([403, 403]);
    });
  });

  describe('the report', () => {
    let a: Client;
    beforeAll(async () => {
      // A: 小红书 lead in February who filled the questionnaire, got a plan and paid; part refunded; paid again in March.
      a = await client('xiaohongshu', '2026-02-05T03:00:00Z');
      await insertSurvey(t, a.id, { submittedAt: at('2026-02-06T03:00:00Z') });
      await grantHealthConsent(t, a);
      await proposedPlan(t, await staffToken(t, doctor), a.publicId);
      const first = await order(a, '2026-02-10T03:00:00Z', 300_000);
      await t.services.orders.refund(staffActor(director), first.id, { refundNo: externalNo('R'), amountFen: 100_000, reason: '部分退款' });
      await order(a, '2026-03-05T03:00:00Z', 100_000);
      // B: 小红书 lead whose only order was voided: no revenue, not a paying client.
      const b = await client('xiaohongshu', '2026-02-20T03:00:00Z');
      const voided = await order(b, '2026-02-25T03:00:00Z', 200_000);
      await t.services.orders.voidOrder(staffActor(director), voided.id, '录入错误');
      // C: came from 抖音, later came back through a 小红书 link, then paid; a touch after the payment does not count.
      const c = await client('douyin', '2026-03-03T03:00:00Z');
      await t.deps.db.query("INSERT INTO client_touches (client_id, kind, utm_source, created_at) VALUES (?, 'login', 'xiaohongshu', ?), (?, 'login', 'baidu', ?)",
        [c.id, at('2026-03-10T03:00:00Z'), c.id, at('2026-03-25T03:00:00Z')]);
      await order(c, '2026-03-12T03:00:00Z', 400_000);
      // D: referred by A; added the consultant in WeCom through an offline-event channel code, then paid.
      const d = await client('referral', '2026-03-01T03:00:00Z', { referrerId: a.id });
      await t.deps.db.query(
        `INSERT INTO wecom_external_contacts (external_userid, userid, client_id, state, status, added_at, last_event_at, channel)
         VALUES ('wm_roi_d', 'zhangsan', ?, 'ch_roitestevent', 'active', ?, ?, 'offline_event')`,
        [d.id, at('2026-03-15T03:00:00Z'), at('2026-03-15T03:00:00Z')],
      );
      await order(d, '2026-03-20T03:00:00Z', 150_000);
      // Months are Shanghai's: 31 March 23:30 there is March, 1 April 00:30 there is April (both 31 March in UTC).
      await order(c, '2026-03-31T15:30:00Z', 1);
      await order(c, '2026-03-31T16:30:00Z', 2);
    });

    it('first touch by month: spend, funnel, revenue net of refunds, average ticket, cost per lead, CAC and ROI', async () => {
      const res = await t.http.get('/api/staff/reports/roi?from=2026-02&to=2026-03').set(bearer(directorToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ from: '2026-02', to: '2026-03', attribution: 'first', groupBy: 'month' });
      expect(rowOf(res.body.rows, 'xiaohongshu', '2026-02')).toEqual({
        channel: 'xiaohongshu', month: '2026-02', spendFen: 800_000, leads: 2, questionnaires: 1, plans: 1, firstOrders: 1,
        conversion: { leadToQuestionnaire: 0.5, questionnaireToPlan: 1, planToFirstOrder: 1, leadToFirstOrder: 0.5 },
        revenueFen: 200_000, payingClients: 1, newPayingClients: 1, averageTicketFen: 200_000, costPerLeadFen: 400_000, cacFen: 800_000, roi: -0.75,
      });
      expect(rowOf(res.body.rows, 'xiaohongshu', '2026-03')).toMatchObject({ spendFen: 0, leads: 0, revenueFen: 100_000, payingClients: 1, newPayingClients: 0, cacFen: null, roi: null });
      expect(rowOf(res.body.rows, 'douyin', '2026-03')).toMatchObject({
        spendFen: 500_000, leads: 1, firstOrders: 1, revenueFen: 400_001, payingClients: 1, newPayingClients: 1, cacFen: 500_000, averageTicketFen: 400_001,
        roi: -0.2,
      });
      expect(rowOf(res.body.rows, 'referral', '2026-03')).toMatchObject({ leads: 1, revenueFen: 150_000, payingClients: 1 });
      // Paying clients are counted once over the range (A paid in both months).
      expect(res.body.totals).toMatchObject({ spendFen: 1_300_000, leads: 4, revenueFen: 850_001, payingClients: 3, newPayingClients: 3 });
      expect(res.body.referrers).toEqual([{ clientId: a.publicId, referredPayingClients: 1, revenueFen: 150_000 }]);
      expect(await audit('report.roi.read')).toContainEqual(expect.objectContaining({ actorId: director.id }));
    });

    it('last touch: each payment goes to the newest touch before it — a UTM return visit or a WeCom channel code', async () => {
      const res = await t.http.get('/api/staff/reports/roi?from=2026-03&to=2026-03&attribution=last').set(bearer(directorToken));
      expect(res.status).toBe(200);
      expect(rowOf(res.body.rows, 'xiaohongshu', '2026-03')).toMatchObject({ revenueFen: 500_000, payingClients: 2, newPayingClients: 1 });
      expect(rowOf(res.body.rows, 'douyin', '2026-03')).toMatchObject({ spendFen: 500_000, leads: 1, revenueFen: 0, newPayingClients: 0, roi: -1 });
      expect(rowOf(res.body.rows, 'offline_event', '2026-03')).toMatchObject({ revenueFen: 150_000, payingClients: 1 });
      // C's late-March payment follows the 百度 touch of 25 March, not the earlier 小红书 one.
      expect(rowOf(res.body.rows, 'baidu', '2026-03')).toMatchObject({ revenueFen: 1, payingClients: 1, newPayingClients: 0 });
      expect(rowOf(res.body.rows, 'referral', '2026-03')).toMatchObject({ leads: 1, revenueFen: 0 });
    });

    it('over a range: one row per channel, the Shanghai month deciding where a payment falls', async () => {
      const res = await t.http.get('/api/staff/reports/roi?from=2026-02&to=2026-03&groupBy=range').set(bearer(directorToken));
      expect(res.status).toBe(200);
      expect(rowOf(res.body.rows, 'xiaohongshu')).toMatchObject({ month: null, spendFen: 800_000, leads: 2, revenueFen: 300_000, payingClients: 1, newPayingClients: 1, averageTicketFen: 300_000 });
      const april = await t.http.get('/api/staff/reports/roi?from=2026-04&to=2026-04').set(bearer(directorToken));
      expect(april.body.rows.map((r: Row) => [r.channel, r.month, r.revenueFen])).toEqual([['douyin', '2026-04', 2]]);
      expect(april.body.totals).toMatchObject({ revenueFen: 2, payingClients: 1, spendFen: 0, roi: null, cacFen: null });
    });

    it('exports the report as CSV with a BOM and as xlsx, amounts in yuan, a total line, each export audited', async () => {
      const csv = await t.http.get('/api/staff/reports/roi/export?from=2026-02&to=2026-03&groupBy=range&format=csv').set(bearer(directorToken)).buffer(true).parse(binary);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toContain('channel-roi-2026-02-2026-03-first.csv');
      const body = csv.body as Buffer;
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = body.toString('utf8').slice(1).trim().split('\r\n');
      expect(lines[0].split(',').slice(0, 3)).toEqual(['渠道', '月份', '投放(元)']);
      const xhs = lines.find((l) => l.startsWith('xiaohongshu,'))!.split(',');
      expect(xhs.slice(0, 4)).toEqual(['xiaohongshu', '2026-02~2026-03', '8000', '2']);
      expect(lines[lines.length - 1]).toMatch(/^合计,2026-02~2026-03,13000,4,/);

      const xlsx = await t.http.get('/api/staff/reports/roi/export?from=2026-02&to=2026-03&format=xlsx&attribution=last').set(bearer(directorToken)).buffer(true).parse(binary);
      expect(xlsx.status).toBe(200);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(xlsx.body as any);
      const sheet = book.worksheets[0];
      expect(sheet.getRow(1).getCell(1).value).toBe('渠道');
      const values = sheet.getSheetValues().slice(2).map((r: any) => [r[1], r[2], r[9]]);
      expect(values).toContainEqual(['offline_event', '2026-03', 1500]);
      expect((await audit('report.roi.export')).map((a: Row) => a.details.format)).toEqual(['csv', 'xlsx']);
      const doc = await t.http.get('/openapi.json');
      expect(Object.keys(doc.body.paths['/api/staff/reports/roi/export'].get.responses['200'].content))
        .toEqual(['text/csv; charset=utf-8', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']);
    });

    it('an export without a known format is a 400 naming query.format; a consultant gets 403', async () => {
      const bad = await t.http.get('/api/staff/reports/roi/export?from=2026-02&to=2026-03&format=pdf').set(bearer(directorToken));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: Row) => d.field)).toEqual(['query.format']);
      const denied = await t.http.get('/api/staff/reports/roi/export?from=2026-02&to=2026-03&format=csv').set(bearer(consultantToken));
      expect(denied.status).toBe(403);
    });
  });
});
