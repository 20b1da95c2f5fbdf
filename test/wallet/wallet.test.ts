import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo, staffActor } from '../helpers/orders';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { refundShareFen } from '../../src/modules/wallet';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { runLedgersCheck } from '../../src/cli/ledgers-check';

const DAY = 24 * 3600_000;

describe('stored value 储值: cashback credited, spent on orders, given back by refunds, clawed back', () => {
  let t: TestContext;
  let director: Staff;
  let doctor: Staff;
  let directorToken: string;
  let projectId: string;

  beforeAll(async () => {
    // A database of its own: the release run releases every due reward in it.
    t = await createTestContext({ env: { REFERRAL_HOLD_DAYS: '7' }, now: '2030-06-10T02:00:00Z', isolatedDatabase: true });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    directorToken = await staffToken(t, director);
    projectId = (await createProject(t, { category: 'light', listPriceFen: 100_000 })).id;
  });
  afterAll(() => t?.close());

  const balanceOf = async (c: Client) => t.services.wallet.balance(c.id);
  const entriesOf = async (c: Client): Promise<{ delta_fen: number; reason: string; balance_after_fen: number }[]> =>
    t.deps.db.query('SELECT delta_fen, reason, balance_after_fen FROM wallet_entries WHERE client_id = ? ORDER BY id', [c.id]);
  /** Stored value put in directly (as a release would), so payment tests start from an exact balance. */
  const fund = (c: Client, amountFen: number) =>
    t.services.wallet.credit(null, { clientId: c.id, amountFen, reason: 'referral_cashback', reference: 'test', idempotencyKey: `test:${randomUUID()}`, actor: SYSTEM_ACTOR });
  // Paid now: a friend's order paid before the binding earns no cashback.
  const order = (c: Client, amountFen: number) => t.services.orders.recordOrder(staffActor(director), {
    orderNo: externalNo(), clientId: c.publicId, doctorId: doctor.publicId, paidAt: t.clock.now(), items: [{ projectId, amountFen }],
  });
  const pay = (orderId: string, amountFen: number, requestId = randomUUID(), token = directorToken) =>
    t.http.post(`/api/staff/orders/${orderId}/stored-value`).set(bearer(token)).send({ amountFen, requestId });
  const refund = (orderId: string, amountFen: number) =>
    t.http.post(`/api/staff/orders/${orderId}/refunds`).set(bearer(directorToken)).send({ refundNo: externalNo('R'), amountFen, reason: '客户要求退款' });
  const expectConsistent = async () => expect(await t.services.wallet.checkConsistency()).toMatchObject({ drift: [], orders: [] });

  async function friendOf(referrer: Client): Promise<Client> {
    const friend = await createClient(t);
    const outcome = await t.deps.db.transaction((m) =>
      t.services.referrals.bindAtLogin(m, { clientId: friend.id, isNew: true, code: referrer.referralCode, openid: friend.openid, unionid: null }),
    );
    expect(outcome).toEqual({ bound: true });
    return friend;
  }

  describe('released referral cashback', () => {
    it('is credited to the referrer\'s stored value once, and the client sees it as a monthly total', async () => {
      const a = await createClient(t);
      const b = await friendOf(a);
      await order(b, 10_000_00); // first conversion: 5% → ¥500
      t.clock.advance(7 * DAY + 60_000);

      await Promise.all([t.services.referrals.releaseDue(), t.services.referrals.releaseDue()]);

      expect(await entriesOf(a)).toEqual([{ delta_fen: 500_00, reason: 'referral_cashback', balance_after_fen: 500_00 }]);
      const mine = await t.http.get('/api/mp/wallet').set(bearer(await clientToken(t, a)));
      expect(mine.status).toBe(200);
      expect(mine.body).toEqual({ balanceFen: 500_00, items: [{ kind: 'referral_month', deltaFen: 500_00, month: '2030-06', createdAt: null }], page: 1, hasMore: false });
      await expectConsistent();
    });

    it('a clawback after the friend\'s full refund takes back only what is left and records the shortfall', async () => {
      const a = await createClient(t);
      const b = await friendOf(a);
      const friendOrder = await order(b, 10_000_00);
      t.clock.advance(7 * DAY + 60_000);
      await t.services.referrals.releaseDue();
      const own = await order(a, 400_00);
      expect((await pay(own.id, 400_00)).status).toBe(201);

      expect((await refund(friendOrder.id, 10_000_00)).status).toBe(201);

      expect(await balanceOf(a)).toBe(0);
      expect((await entriesOf(a)).map((e) => [e.reason, e.delta_fen])).toEqual([['referral_cashback', 500_00], ['order_payment', -400_00], ['cashback_clawback', -100_00]]);
      const [reward] = await t.deps.db.query('SELECT status, clawed_fen, cashback_shortfall_fen FROM referral_rewards WHERE order_no = ?', [friendOrder.orderNo]);
      expect(reward).toEqual({ status: 'clawed_back', clawed_fen: 500_00, cashback_shortfall_fen: 400_00 });
      await expectConsistent();
    });

    it('a clawback the balance covers exactly leaves no shortfall; a partial refund claws back the share only', async () => {
      const a = await createClient(t);
      const b = await friendOf(a);
      const friendOrder = await order(b, 10_000_00);
      t.clock.advance(7 * DAY + 60_000);
      await t.services.referrals.releaseDue();

      // Half refunded: 5% of the ¥5,000 still paid stays (¥250), ¥250 comes back.
      expect((await refund(friendOrder.id, 5_000_00)).status).toBe(201);
      expect(await balanceOf(a)).toBe(250_00);
      // The rest refunded: the remaining ¥250 is exactly the balance.
      expect((await refund(friendOrder.id, 5_000_00)).status).toBe(201);

      expect(await balanceOf(a)).toBe(0);
      const [reward] = await t.deps.db.query('SELECT clawed_fen, cashback_shortfall_fen FROM referral_rewards WHERE order_no = ?', [friendOrder.orderNo]);
      expect(reward).toEqual({ clawed_fen: 500_00, cashback_shortfall_fen: 0 });
      await expectConsistent();
    });
  });

  describe('paying an order', () => {
    it('a payment larger than the balance is refused with the field, and writes nothing; the whole balance to the fen is accepted', async () => {
      const c = await createClient(t);
      await fund(c, 300_01);
      const o = await order(c, 1_000_00);

      const tooMuch = await pay(o.id, 300_02);

      expect(tooMuch.status).toBe(409);
      expect(tooMuch.body.error).toMatchObject({ code: 'WALLET_INSUFFICIENT', details: { field: 'body.amountFen', balanceFen: 300_01, neededFen: 300_02 } });
      expect(await entriesOf(c)).toHaveLength(1);
      const exact = await pay(o.id, 300_01);
      expect(exact.status).toBe(201);
      expect(exact.body).toMatchObject({ balanceFen: 0, orderPaidFen: 300_01, replayed: false, entry: { deltaFen: -300_01, reason: 'order_payment', reference: o.id } });
      expect((await pay(o.id, 1)).body.error.code).toBe('WALLET_INSUFFICIENT');
      await expectConsistent();
    });

    it('payments on one order add up to at most the order, to the fen', async () => {
      const c = await createClient(t);
      await fund(c, 5_000_00);
      const o = await order(c, 1_000_00);

      expect((await pay(o.id, 600_00)).status).toBe(201);
      const over = await pay(o.id, 400_01);
      const rest = await pay(o.id, 400_00);

      expect(over.status).toBe(409);
      expect(over.body.error).toMatchObject({ code: 'WALLET_EXCEEDS_ORDER', details: { field: 'body.amountFen', payableFen: 400_00 } });
      expect(rest.status).toBe(201);
      expect(rest.body).toMatchObject({ orderPaidFen: 1_000_00, balanceFen: 4_000_00 });
    });

    it('is retry-safe by request id: a retry replays, the same id with another amount is refused', async () => {
      const c = await createClient(t);
      await fund(c, 100_00);
      const o = await order(c, 1_000_00);
      const requestId = randomUUID();

      const [first, again] = [await pay(o.id, 40_00, requestId), await pay(o.id, 40_00, requestId)];
      const other = await pay(o.id, 41_00, requestId);

      expect(first.status).toBe(201);
      expect(again.body).toMatchObject({ replayed: true, balanceFen: 60_00, orderPaidFen: 40_00 });
      expect(other.status).toBe(409);
      expect(other.body.error).toMatchObject({ code: 'WALLET_REQUEST_REUSED', details: { field: 'body.requestId' } });
      expect(await balanceOf(c)).toBe(60_00);
    });

    it('two payments at once that the balance covers only one of: one succeeds, one is refused, never negative', async () => {
      const c = await createClient(t);
      await fund(c, 100_00);
      const [o1, o2] = [await order(c, 1_000_00), await order(c, 1_000_00)];

      const results = await Promise.all([pay(o1.id, 70_00), pay(o2.id, 70_00)]);

      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await balanceOf(c)).toBe(30_00);
      await expectConsistent();
    });

    it('an order with a refund cannot be paid from stored value; another consultant\'s client\'s order is not found', async () => {
      const c = await createClient(t);
      await fund(c, 100_00);
      const o = await order(c, 1_000_00);
      await refund(o.id, 1);
      const consultant = await createStaff(t, 'consultant');

      const refunded = await pay(o.id, 10_00);
      const notTheirs = await pay(o.id, 10_00, randomUUID(), await staffToken(t, consultant));

      expect(refunded.body.error).toMatchObject({ code: 'WALLET_ORDER_REFUNDED', details: { field: 'params.id' } });
      expect(notTheirs.status).toBe(404);
      expect(await balanceOf(c)).toBe(100_00);
    });
  });

  describe('refunds of an order stored value paid', () => {
    it('give stored value back in proportion, rounded down, on the running total; the last refund gives back the rest', async () => {
      const c = await createClient(t);
      await fund(c, 333);
      const o = await order(c, 1_000);
      await pay(o.id, 333);

      await refund(o.id, 3); // 333 × 3 / 1000 = 0.999 → 0
      expect(await balanceOf(c)).toBe(0);
      await refund(o.id, 1); // total 4: 1.332 → 1
      expect(await balanceOf(c)).toBe(1);
      await refund(o.id, 496); // total 500: 166.5 → 166
      expect(await balanceOf(c)).toBe(166);
      await refund(o.id, 500); // full: all 333
      expect(await balanceOf(c)).toBe(333);
      await expectConsistent();
    });

    it('a void gives back everything stored value paid; an order not paid from stored value gives nothing back', async () => {
      const c = await createClient(t);
      await fund(c, 250_00);
      const paid = await order(c, 1_000_00);
      const cash = await order(c, 1_000_00);
      await pay(paid.id, 250_00);

      await t.http.post(`/api/staff/orders/${paid.id}/void`).set(bearer(directorToken)).send({ reason: '录入错误' });
      await refund(cash.id, 1_000_00);

      expect(await balanceOf(c)).toBe(250_00);
      expect((await entriesOf(c)).map((e) => e.reason)).toEqual(['referral_cashback', 'order_payment', 'order_refund']);
    });

    it('the share rule on both sides of its boundaries', () => {
      expect(refundShareFen(333, 1000, 3, false)).toBe(0);
      expect(refundShareFen(333, 1000, 4, false)).toBe(1);
      expect(refundShareFen(500, 1000, 500, false)).toBe(250);
      expect(refundShareFen(333, 1000, 999, false)).toBe(332);
      expect(refundShareFen(333, 1000, 1000, false)).toBe(333);
      expect(refundShareFen(333, 1000, 1, true)).toBe(333);
      expect(refundShareFen(0, 1000, 500, false)).toBe(0);
    });
  });

  describe('conversion to a voucher of equal value', () => {
    const convert = (token: string, amountFen: number, requestId = randomUUID()) =>
      t.http.post('/api/mp/wallet/vouchers').set(bearer(token)).send({ amountFen, requestId });
    const vouchersOf = async (c: Client): Promise<{ kind: string; value_fen: number; rule: string }[]> =>
      t.deps.db.query('SELECT kind, value_fen, rule FROM vouchers WHERE client_id = ?', [c.id]);

    it('turns an amount into an amount-off voucher of the same value, once per request id', async () => {
      const c = await createClient(t);
      await fund(c, 300_01);
      const token = await clientToken(t, c);
      const requestId = randomUUID();

      const first = await convert(token, 100_00, requestId);
      const retry = await convert(token, 100_00, requestId);
      const other = await convert(token, 100_01, requestId);

      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ balanceFen: 200_01, replayed: false, voucher: { valueFen: 100_00 } });
      expect(retry.body).toMatchObject({ replayed: true, voucher: { publicId: first.body.voucher.publicId, code: first.body.voucher.code } });
      expect(other.body.error.code).toBe('WALLET_REQUEST_REUSED');
      expect(await vouchersOf(c)).toEqual([{ kind: 'amount_off', value_fen: 100_00, rule: 'stored_value' }]);
      const listed = await t.http.get('/api/mp/vouchers').set(bearer(token));
      expect(listed.body.items.map((v: { code: string }) => v.code)).toContain(first.body.voucher.code);
      await expectConsistent();
    });

    it('more than the balance is refused and issues nothing; the whole balance to the fen is accepted', async () => {
      const c = await createClient(t);
      await fund(c, 50_00);
      const token = await clientToken(t, c);

      const tooMuch = await convert(token, 50_01);
      const all = await convert(token, 50_00);

      expect(tooMuch.status).toBe(409);
      expect(tooMuch.body.error).toMatchObject({ code: 'WALLET_INSUFFICIENT', details: { field: 'body.amountFen', balanceFen: 50_00 } });
      expect(all.status).toBe(201);
      expect(all.body.balanceFen).toBe(0);
      expect(await vouchersOf(c)).toHaveLength(1);
    });
  });

  describe('views, export and the ledger check', () => {
    it('staff with the money scope see the ledger; the client\'s export carries it', async () => {
      const c = await createClient(t);
      await fund(c, 10_00);

      const staffView = await t.http.get(`/api/staff/clients/${c.publicId}/wallet`).set(bearer(directorToken));
      const exported = await t.services.wallet.clientDataHooks.exportSections(t.deps.db.manager, c.id);

      expect(staffView.body).toMatchObject({ balanceFen: 10_00, items: [{ deltaFen: 10_00, reason: 'referral_cashback' }] });
      expect(exported).toMatchObject({ storedValue: { balanceFen: 10_00, entries: [{ deltaFen: 10_00, reason: 'referral_cashback' }] } });
    });

    it('the client sees their own payments line by line, newest first, after the monthly cashback', async () => {
      const c = await createClient(t);
      await fund(c, 50_00);
      t.clock.advance(60_000);
      const o = await order(c, 1_000_00);
      await pay(o.id, 20_00);

      const mine = await t.http.get('/api/mp/wallet').set(bearer(await clientToken(t, c)));

      expect(mine.status).toBe(200);
      expect(mine.body.items.map((i: { kind: string; deltaFen: number }) => [i.kind, i.deltaFen])).toEqual([['order_payment', -20_00], ['referral_month', 50_00]]);
      expect(JSON.stringify(mine.body)).not.toContain(o.id);
    });

    it('the ledgers check passes on a consistent database and names a tampered balance', async () => {
      const c = await createClient(t);
      await fund(c, 10_00);
      expect(await runLedgersCheck(t.deps)).toMatchObject({ ok: true });

      await t.deps.db.query('UPDATE wallet_accounts SET balance_fen = balance_fen + 1 WHERE client_id = ?', [c.id]);
      const report = await runLedgersCheck(t.deps);
      await t.deps.db.query('UPDATE wallet_accounts SET balance_fen = balance_fen - 1 WHERE client_id = ?', [c.id]);

      expect(report.ok).toBe(false);
      expect(report.wallet.drift).toEqual([{ clientId: c.id, balanceFen: 10_01, sumFen: 10_00 }]);
    });
  });
});
