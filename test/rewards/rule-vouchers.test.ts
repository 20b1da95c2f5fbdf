import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { seededProject } from '../helpers/orders';
import { discountFen, validUntil, voucherSentence, type IssueRequest } from '../../src/modules/rewards';

const DAY = 86400_000;

let t: TestContext;
let desk: string;
beforeAll(async () => {
  t = await createTestContext({ now: '2026-11-02T02:00:00Z' });
  desk = await staffToken(t, await createStaff(t, 'customer_service'));
});
afterAll(() => t.close());

const redeem = (body: Record<string, unknown>) => t.http.post('/api/staff/vouchers/redeem').set(bearer(desk)).send(body);
const percentOff = (capFen: number | null = 50_000): IssueRequest => ({
  rule: 'test_percent', benefit: { kind: 'percent_off', title: '测试折扣券', percent: 15, capFen }, expiresAt: validUntil(t.clock.now(), 30),
});

describe('the discount of a voucher at 核销 (fen rounding and the cap)', () => {
  it('rounds a percentage down to the fen: the client never gets more than the stated percentage', () => {
    expect(discountFen({ kind: 'percent_off', percent: 15, capFen: null }, 999)).toBe(149); // 149.85 → 149
    expect(discountFen({ kind: 'percent_off', percent: 15, capFen: null }, 1000)).toBe(150);
    expect(discountFen({ kind: 'percent_off', percent: 15, capFen: null }, 1)).toBe(0);
    expect(discountFen({ kind: 'percent_off', percent: 15, capFen: null }, 0)).toBe(0);
  });

  it('caps a percentage: one fen under the cap, at the cap, one fen over', () => {
    const b = { kind: 'percent_off' as const, percent: 20, capFen: 50_000 };
    expect(discountFen(b, 249_995)).toBe(49_999); // 49,999 exactly
    expect(discountFen(b, 249_999)).toBe(49_999); // 49,999.8 → 49,999, under the cap
    expect(discountFen(b, 250_000)).toBe(50_000); // exactly the cap
    expect(discountFen(b, 250_005)).toBe(50_000); // 50,001 → capped
    expect(discountFen(b, 10_000_000)).toBe(50_000);
  });

  it('never takes more than the order off for an amount-off voucher; a free service takes nothing off', () => {
    expect(discountFen({ kind: 'amount_off', valueFen: 10_000 }, 9_999)).toBe(9_999);
    expect(discountFen({ kind: 'amount_off', valueFen: 10_000 }, 10_001)).toBe(10_000);
    expect(discountFen({ kind: 'amount_off', valueFen: 10_000 }, null)).toBe(10_000);
    expect(discountFen({ kind: 'free_service' }, 10_000)).toBeNull();
  });

  it('is valid through the end of the Nth Shanghai day, and the message names that day', () => {
    // 2026-11-02 10:00 Shanghai + 30 days → through 2026-12-02 (expires at Shanghai midnight).
    const until = validUntil(new Date('2026-11-02T02:00:00Z'), 30);
    expect(until.toISOString()).toBe('2026-12-02T16:00:00.000Z');
    // 23:59 Shanghai on 2026-11-02 (15:59Z) is still the 2nd; 00:00 on the 3rd (16:00Z) is the 3rd.
    expect(validUntil(new Date('2026-11-02T15:59:00Z'), 1).toISOString()).toBe('2026-11-03T16:00:00.000Z');
    expect(validUntil(new Date('2026-11-02T16:00:00Z'), 1).toISOString()).toBe('2026-11-04T16:00:00.000Z');
    // Leap day: issued 2028-01-30 for 30 days → through 2028-02-29.
    expect(validUntil(new Date('2028-01-30T02:00:00Z'), 30).toISOString()).toBe('2028-02-29T16:00:00.000Z');
    expect(voucherSentence({ kind: 'amount_off', title: '专属关怀礼代金券', valueFen: 10_000, expiresAt: until })).toBe('「专属关怀礼代金券」¥100 代金券，有效期至 2026-12-02');
    expect(voucherSentence({ kind: 'percent_off', title: '生日特权折扣券', percent: 20, capFen: 50_000, expiresAt: until })).toContain('8折券（最高减¥500）');
  });
});

describe('issuing by rule', () => {
  it('issues once per client, rule and period however often it runs, in one set-based call', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => createClient(t)));
    const targets = clients.map((c) => ({ clientId: c.id, period: '2026-11' }));
    const first = await t.services.rewards.issueVouchers(null, percentOff(), targets);
    const again = await t.services.rewards.issueVouchers(null, percentOff(), targets);
    const concurrent = await Promise.all([1, 2].map(() => t.services.rewards.issueVouchers(null, percentOff(), [...targets, { clientId: clients[0].id, period: '2026-12' }])));

    expect(first.map((v) => v.created)).toEqual([true, true, true]);
    expect(again.map((v) => v.created)).toEqual([false, false, false]);
    expect(again.map((v) => v.code)).toEqual(first.map((v) => v.code));
    // A new period is a new voucher; of two processes issuing it at once, one writes it.
    expect(concurrent.map((r) => r[3].created).sort()).toEqual([false, true]);
    expect(concurrent[0][3].code).toBe(concurrent[1][3].code);
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM vouchers WHERE rule = 'test_percent' AND client_id IN (?, ?, ?)", clients.map((c) => c.id));
    expect(Number(n)).toBe(4);
  });

  it('refuses a benefit that does not fit its kind (the field at fault), writing nothing', async () => {
    const c = await createClient(t);
    const bad = t.services.rewards.issueVoucher(null, { ...percentOff(), benefit: { kind: 'percent_off', title: '坏券', percent: 120 } }, { clientId: c.id, period: 'x' });
    await expect(bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'percent' }] });
    expect(await t.deps.db.query('SELECT id FROM vouchers WHERE client_id = ?', [c.id])).toEqual([]);
  });

  it('issues nothing for a rule switched off', async () => {
    const c = await createClient(t);
    await t.deps.db.query("UPDATE voucher_rules SET active = 0 WHERE rule = 'birthday'");
    try {
      expect(await t.services.rewards.issueByRule(null, 'birthday', [{ clientId: c.id, period: '2026' }])).toEqual([]);
    } finally {
      await t.deps.db.query("UPDATE voucher_rules SET active = 1 WHERE rule = 'birthday'");
    }
  });
});

describe('核销 of a rule voucher', () => {
  it('a percent-off voucher needs the order amount, gives the capped discount, and shows in the client\'s list', async () => {
    const c = await createClient(t);
    const v = await t.services.rewards.issueVoucher(null, percentOff(), { clientId: c.id, period: 'p1' });
    const missing = await redeem({ code: v.code });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('body.orderAmountFen');

    const used = await redeem({ code: v.code, orderAmountFen: 400_000 });
    expect(used.status).toBe(200);
    expect(used.body).toMatchObject({ status: 'used', source: 'rule', orderAmountFen: 400_000, discountFen: 50_000, benefit: { kind: 'percent_off', percent: 15, capFen: 50_000 } });

    const mine = await t.http.get('/api/mp/vouchers').set(bearer(await clientToken(t, c)));
    expect(mine.body.items).toEqual([expect.objectContaining({ id: v.id, status: 'used', item: { id: 'test_percent', kind: 'percent_off', title: '测试折扣券' } })]);
  });

  it('two desks redeeming the same code at once: exactly one wins, the other is told it was used', async () => {
    const c = await createClient(t);
    const v = await t.services.rewards.issueVoucher(null, percentOff(), { clientId: c.id, period: 'p2' });
    const other = await staffToken(t, await createStaff(t, 'consultant'));
    const results = await Promise.all([
      redeem({ code: v.code, orderAmountFen: 100_000 }),
      t.http.post('/api/staff/vouchers/redeem').set(bearer(other)).send({ code: v.code, orderAmountFen: 200_000 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('VOUCHER_USED');
    const [row] = await t.deps.db.query('SELECT status, discount_fen FROM vouchers WHERE id = (SELECT id FROM vouchers WHERE public_id = ?)', [v.id]);
    const winner = results.find((r) => r.status === 200)!;
    expect(Number(row.discount_fen)).toBe(winner.body.discountFen);
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'voucher.redeem' AND client_id = ?", [c.id]);
    expect(Number(n)).toBe(1);
  });

  it('a voucher limited to projects needs the project and refuses another one', async () => {
    const c = await createClient(t);
    const filler = await seededProject(t, 'hyaluronic_filler');
    const skin = await seededProject(t, 'photorejuvenation');
    const v = await t.services.rewards.issueVoucher(null, {
      rule: 'test_amount', benefit: { kind: 'amount_off', title: '玻尿酸复购券', valueFen: 30_000, projects: ['hyaluronic_filler'] }, expiresAt: validUntil(t.clock.now(), 30),
    }, { clientId: c.id, period: 'p' });
    expect((await redeem({ code: v.code })).body.error.details[0].field).toBe('body.projectId');
    const wrong = await redeem({ code: v.code, projectId: skin.id });
    expect([wrong.status, wrong.body.error.code]).toEqual([409, 'VOUCHER_NOT_FOR_PROJECT']);
    const ok = await redeem({ code: v.code, projectId: filler.id, orderAmountFen: 20_000 });
    expect([ok.status, ok.body.discountFen]).toEqual([200, 20_000]);
  });

  it('expiry is recorded by the scheduled task; an expired or cancelled voucher is refused', async () => {
    const c = await createClient(t);
    const expiring = await t.services.rewards.issueVoucher(null, { ...percentOff(), expiresAt: new Date(t.clock.now().getTime() + DAY) }, { clientId: c.id, period: 'e' });
    const cancelled = await t.services.rewards.issueVoucher(null, percentOff(), { clientId: c.id, period: 'c' });
    const director = await staffToken(t, await createStaff(t, 'director'));
    const cancel = await t.http.post(`/api/staff/vouchers/${cancelled.id}/cancel`).set(bearer(director));
    expect([cancel.status, cancel.body.status]).toEqual([200, 'cancelled']);

    const expiredAt = new Date(t.clock.now().getTime() + DAY);
    const expired = await t.services.rewards.expireVouchers(expiredAt);
    expect(expired).toBeGreaterThanOrEqual(1);
    const [row] = await t.deps.db.query('SELECT status, expired_at FROM vouchers WHERE public_id = ?', [expiring.id]);
    expect(row).toEqual({ status: 'expired', expired_at: expiredAt });
    expect((await redeem({ code: expiring.code, orderAmountFen: 1000 })).body.error.code).toBe('VOUCHER_EXPIRED');
    expect((await redeem({ code: cancelled.code, orderAmountFen: 1000 })).body.error.code).toBe('VOUCHER_CANCELLED');
    // The cancellation is recorded (audited); a rule voucher gives back no points.
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'voucher.cancel' AND client_id = ?", [c.id]);
    expect(Number(n)).toBe(1);
  });
});
