import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { externalNo, recordOrder, seededProject } from '../helpers/orders';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { bindContact, RecordingChannel } from '../helpers/delivery';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

const DAY = 24 * 3600_000;

// RFM runs over every client: this file gets a database of its own so other files' clients stay out of it.
let t: TestContext;
let doctor: Staff;
beforeAll(async () => {
  // Orders up to two years back, as when a hospital imports its history.
  t = await createTestContext({ now: '2026-11-02T02:00:00Z', isolatedDatabase: true, env: { ORDER_MAX_BACKDATE_DAYS: '800' } });
  doctor = await createStaff(t, 'doctor');
});
afterAll(() => t.close());

const daysAgo = (n: number) => new Date(t.clock.now().getTime() - n * DAY);

async function paid(client: Client, when: Date, amountFen = 298_000): Promise<void> {
  const skin = await seededProject(t, 'photorejuvenation');
  await recordOrder(t, { client, doctor, paidAt: when, items: [{ projectId: skin.id, amountFen }] });
}

const segmentOf = async (c: Client) => (await t.deps.db.query('SELECT segment FROM client_rfm WHERE client_id = ?', [c.id]))[0]?.segment;
const vouchersOf = async (c: Client) =>
  (await t.deps.db.query('SELECT rule, period, kind, title, value_fen, service, code, status, expires_at FROM vouchers WHERE client_id = ? ORDER BY rule, id', [c.id]));
const messageText = async (c: Client, prefix = 'dormant:') =>
  (await t.services.outbox.listForClient(c.id, 'client_message')).filter((o) => o.dedupeKey.startsWith(prefix)).map((o) => String(o.payload.text)).join('\n');
const outboxKeys = async (c: Client, kind: string) =>
  (await t.deps.db.query('SELECT dedupe_key FROM outbox_messages WHERE client_id = ? AND kind = ? ORDER BY id', [c.id, kind])).map((r: any) => r.dedupe_key);

describe('RFM and dormant clients', () => {
  let vip: Client, care: Client, gift: Client, callback: Client, fresh: Client, gone: Client;

  beforeAll(async () => {
    [vip, care, gift, callback, fresh, gone] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createClient(t)));
    await paid(vip, daysAgo(20));
    await paid(vip, daysAgo(5));
    await paid(care, daysAgo(120));
    await paid(gift, daysAgo(240));
    await paid(callback, daysAgo(420), 5_000_000);
    await paid(gone, daysAgo(420));
    await t.deps.db.query("UPDATE clients SET status = 'deleted' WHERE id = ?", [gone.id]);
  });

  it('segments every active client in one run and takes each dormant action once, however often it runs', async () => {
    const first = await t.services.rfm.run(t.clock.now());
    const second = await t.services.rfm.run(t.clock.now());

    expect(first.clients).toBe(5 + 0); // the deleted client is left out
    expect(first.dormant).toEqual({ care_3m: 1, gift_6m: 1, callback_12m: 1 });
    expect(second.retagged).toBe(0);
    expect(await segmentOf(vip)).toBe('vip');
    expect(await segmentOf(care)).toBe('care');
    expect(await segmentOf(gift)).toBe('dormant');
    expect(await segmentOf(callback)).toBe('long_dormant');
    expect(await segmentOf(fresh)).toBe('new');
    expect(await segmentOf(gone)).toBeUndefined();

    expect(await outboxKeys(care, 'client_message')).toEqual([expect.stringMatching(/^dormant:care_3m:/)]);
    expect(await outboxKeys(gift, 'client_message')).toEqual([expect.stringMatching(/^dormant:gift_6m:/)]);
    expect(await outboxKeys(vip, 'client_message')).toEqual([]);

    // A voucher behind each promise, once however often the run goes: the care offer; the returning-client gift plus the free skin test.
    const careVouchers = await vouchersOf(care);
    expect(careVouchers).toEqual([expect.objectContaining({ rule: 'care_3m', kind: 'amount_off', value_fen: 10_000, status: 'issued' })]);
    const giftVouchers = await vouchersOf(gift);
    expect(giftVouchers.map((v: any) => [v.rule, v.kind])).toEqual([['gift_6m', 'amount_off'], ['skin_test', 'free_service']]);
    expect(giftVouchers[1].service).toBe('皮肤检测');
    expect(await vouchersOf(vip)).toEqual([]);
    expect(await vouchersOf(callback)).toEqual([]);
    // The message names the voucher: its title, its value and its last valid day (30 days from 2026-11-02 Shanghai).
    const careText = await messageText(care);
    expect(careText).toContain('「专属关怀礼代金券」¥100 代金券，有效期至 2026-12-02');
    const giftText = await messageText(gift);
    expect(giftText).toContain('「老客专属返场礼」¥300 代金券，有效期至 2027-01-01');
    expect(giftText).toContain('「免费皮肤检测体验券」免费皮肤检测');
    const tasks = await t.deps.db.query('SELECT kind, assignee_role, status FROM staff_tasks WHERE client_id = ?', [callback.id]);
    expect(tasks).toEqual([{ kind: 'dormant_callback', assignee_role: 'customer_service', status: 'open' }]);
    expect(await t.services.tags.tagsOf(vip.id)).toMatchObject({ rfm: ['VIP客户'] });
    // Not on WeCom: nothing to tag (a contact linked later gets every tag then).
    expect(await outboxKeys(vip, 'tag_sync')).toHaveLength(0);
  });

  it('moves clients six months without a purchase to the dormant stage, with the event and the stage tag', async () => {
    for (const c of [gift, callback]) {
      const [{ stage }] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [c.id]);
      expect(stage).toBe('dormant');
      expect(await t.services.journey.history(c.id)).toEqual(expect.arrayContaining([expect.objectContaining({ to: 'dormant', reason: 'rfm' })]));
      expect((await t.services.tags.tagsOf(c.id)).stage).toEqual(['沉睡客户']);
    }
    const [{ stage }] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [care.id]);
    expect(stage).not.toBe('dormant');
  });

  it('counts a dormant client who came back, re-segments them, and offers again only in a new dormancy period', async () => {
    t.clock.advance(10 * DAY);
    await paid(care, daysAgo(1));
    // The returning-client gift's client buys and is refunded everything: no coming back, nothing spent.
    const [{ id: giftOrder }] = await t.deps.db.query('SELECT id FROM orders WHERE client_id = ? ORDER BY id DESC LIMIT 1', [gift.id]);
    await paid(gift, daysAgo(1), 150_000);
    const [{ public_id: giftAgain }] = await t.deps.db.query('SELECT public_id FROM orders WHERE client_id = ? AND id > ?', [gift.id, giftOrder]);
    await t.services.orders.refund(SYSTEM_ACTOR, giftAgain, { refundNo: externalNo(), amountFen: 150_000, reason: '不做了' });
    const run = await t.services.rfm.run(t.clock.now());
    expect(run.dormant.care_3m).toBe(0);
    expect(await segmentOf(care)).toBe('active');
    expect(await t.services.tags.tagsOf(care.id)).toMatchObject({ rfm: ['活跃客户'] });

    const director = await createStaff(t, 'director');
    const report = await t.http.get('/api/staff/reports/dormant')
      .query({ from: daysAgo(40).toISOString(), to: new Date(t.clock.now().getTime() + DAY).toISOString() })
      .set(bearer(await staffToken(t, director)));
    expect(report.status).toBe(200);
    expect(report.body.tiers).toEqual([
      { tier: 'care_3m', contacted: 1, cameBack: 1, rate: 1, revenueFen: 298_000 },
      { tier: 'gift_6m', contacted: 1, cameBack: 0, rate: 0, revenueFen: 0 },
      { tier: 'callback_12m', contacted: 1, cameBack: 0, rate: 0, revenueFen: 0 },
    ]);
    // What they spent is net of refunds: one fen short of the whole order still counts the fen kept.
    const [{ public_id: careOrder }] = await t.deps.db.query('SELECT public_id FROM orders WHERE client_id = ? ORDER BY paid_at DESC, id DESC LIMIT 1', [care.id]);
    await t.services.orders.refund(SYSTEM_ACTOR, careOrder, { refundNo: externalNo(), amountFen: 297_999, reason: '部分退款' });
    const net = await t.http.get('/api/staff/reports/dormant')
      .query({ from: daysAgo(40).toISOString(), to: new Date(t.clock.now().getTime() + DAY).toISOString() })
      .set(bearer(await staffToken(t, director)));
    expect(net.body.tiers.map((x: { cameBack: number; revenueFen: number }) => [x.cameBack, x.revenueFen])).toEqual([[1, 1], [0, 0], [0, 0]]);

    // Four months later the same client is due a care offer again: a new period, a new offer.
    t.clock.advance(120 * DAY);
    await t.services.rfm.run(t.clock.now());
    expect(await outboxKeys(care, 'client_message')).toHaveLength(2);
    // … and a second care voucher for the new period.
    expect((await vouchersOf(care)).map((v: any) => v.rule)).toEqual(['care_3m', 'care_3m']);

    // Back again after the second offer: over both offers, each order counts once for the tier (not once per offer before it).
    t.clock.advance(2 * DAY);
    await paid(care, daysAgo(1), 100_000);
    const both = await t.http.get('/api/staff/reports/dormant')
      .query({ from: daysAgo(200).toISOString(), to: new Date(t.clock.now().getTime() + DAY).toISOString() })
      .set(bearer(await staffToken(t, director)));
    // (The VIP's first care offer, made in the same run as the second one here, is the third contact: no order after it.)
    expect(both.body.tiers[0]).toEqual({ tier: 'care_3m', contacted: 3, cameBack: 2, rate: 0.667, revenueFen: 1 + 100_000 });
  });

  it('answers the reports to the director only and checks the date range', async () => {
    const consultant = await createStaff(t, 'consultant');
    const denied = await t.http.get('/api/staff/reports/rfm/segments').set(bearer(await staffToken(t, consultant)));
    expect(denied.status).toBe(403);
    const director = await createStaff(t, 'director');
    const bad = await t.http.get('/api/staff/reports/dormant').query({ from: '2026-11-02T00:00:00Z', to: '2026-10-01T00:00:00Z' }).set(bearer(await staffToken(t, director)));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('query.to');
    const segments = await t.http.get('/api/staff/reports/rfm/segments').set(bearer(await staffToken(t, director)));
    // Four months on (previous test), the VIP has become a care case too; every active client is counted once.
    expect(segments.body.items).toEqual([{ segment: 'care', clients: 2 }, { segment: 'long_dormant', clients: 2 }, { segment: 'new', clients: 1 }]);
  });
  it('a segment change reaches WeCom as the client\'s whole tag set, never the rfm group alone', async () => {
    const client = await createClient(t);
    const director = await createStaff(t, 'director');
    const channel = new RecordingChannel();
    const contactId = await bindContact(t, client, channel.accountId, director);
    await t.deps.db.transaction((m) => t.services.tags.setDimensions(m, client.id, { project: ['鼻部'], stage: ['咨询期'] }, 'staff'));
    await paid(client, daysAgo(100));
    await t.services.rfm.run(t.clock.now());
    await t.services.delivery.drain(channel);
    const synced = channel.sends.filter((x) => x.op === 'tags' && x.to === contactId).at(-1);
    expect(synced?.tags).toMatchObject({ project: ['鼻部'], rfm: ['待关怀客户'] });
    expect(synced?.tags?.stage).toBeDefined();
  });

  it('gives a birthday voucher once a year to non-VIP clients on their Shanghai birthday; a 29 February birthday on 28 February in other years', async () => {
    const [today, leapling, vipBorn, tomorrow] = await Promise.all([1, 2, 3, 4].map(() => createClient(t)));
    const born = (c: Client, date: string) => t.deps.db.query('UPDATE clients SET birth_date = ? WHERE id = ?', [date, c.id]);
    // 2027-02-28 10:00 Shanghai (2027 is not a leap year).
    t.clock.set(new Date('2027-02-28T02:00:00Z'));
    await born(today, '1990-02-28');
    await born(leapling, '1992-02-29');
    await born(vipBorn, '1988-02-28');
    await born(tomorrow, '1990-03-01');
    await t.deps.db.query("INSERT INTO client_rfm (client_id, r_score, f_score, m_score, segment, computed_at) VALUES (?, 5, 5, 5, 'vip', NOW())", [vipBorn.id]);

    const first = await t.services.rfm.birthdayPerks(t.clock.now());
    const again = await t.services.rfm.birthdayPerks(t.clock.now());

    expect(first).toBe(2);
    expect(again).toBe(0);
    for (const c of [today, leapling]) {
      expect((await vouchersOf(c)).map((v: any) => [v.rule, v.period, v.kind])).toEqual([['birthday', '2027', 'percent_off']]);
      expect(await messageText(c, 'birthday:')).toContain('「生日特权折扣券」8折券（最高减¥500），有效期至 2027-03-30');
    }
    expect(await vouchersOf(vipBorn)).toEqual([]);
    expect(await vouchersOf(tomorrow)).toEqual([]);
    // A 29 February birthday is not celebrated twice in a leap year's 28 February (2028-02-28).
    t.clock.set(new Date('2028-02-28T02:00:00Z'));
    await t.services.rfm.birthdayPerks(t.clock.now());
    expect((await vouchersOf(leapling)).map((v: any) => v.period)).toEqual(['2027']);
    expect((await vouchersOf(today)).map((v: any) => v.period)).toEqual(['2027', '2028']);
  });
});
