/**
 * Redemption end to end: the rewards and voucher pages with their request wrapper against the real
 * API server over HTTP (real MariaDB and Redis), answers lost on the way back, refusals from the
 * real service — and what ends up in MySQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createTestContext, type TestContext } from '../../helpers/context';
import { clientToken, createClient } from '../../helpers/factories';
import { SYSTEM_ACTOR } from '../../../src/modules/audit';
import type { Client } from '../../../src/modules/clients/clients.entity';
import { loggedIn, mpModule, renderPage, type Rendered } from '../helpers/render';
import { callsTo, flush, httpAdapter, type Adapter, type ApiCall } from '../helpers/wx';
import { scanQr } from './qr-screen';

const REWARDS = 'packageLoyalty/rewards/index';

let t: TestContext;
let server: http.Server;
let baseUrl: string;
let savedDelays: number[];

beforeAll(async () => {
  t = await createTestContext();
  server = http.createServer(t.handle.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

beforeEach(() => {
  const { config } = mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config');
  savedDelays = config.retryDelaysMs;
  config.retryDelaysMs = [0, 0];
  mpModule<{ setBaseUrl(url: string): void }>('utils/request').setBaseUrl(baseUrl);
});

afterEach(() => {
  mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config').config.retryDelaysMs = savedDelays;
});

/** The real API; the answers of the first `lose` redemptions are dropped after the server handled them. */
function realApi(lose = 0): Adapter {
  const real = httpAdapter(baseUrl);
  return {
    async handle(call: ApiCall) {
      const res = await real.handle(call);
      if (call.method === 'POST' && call.path.endsWith('/redeem') && lose > 0) {
        lose -= 1;
        return { network: 'fail' };
      }
      return res;
    },
  };
}

async function clientWithPoints(points: number): Promise<{ client: Client; token: string }> {
  const client = await createClient(t);
  if (points) await t.services.points.grant(null, { clientId: client.id, points, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}` });
  return { client, token: await clientToken(t, client) };
}

/** A reward with a title no other test uses (the catalog is shared by the whole test run). */
function reward(pointsPrice: number, stock: number) {
  return t.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title: `修护面膜 ${randomUUID().slice(0, 8)}`, pointsPrice, stock });
}

/** Index of a reward's card on the page. */
function cardOf(page: Rendered, title: string): number {
  const i = page.texts('.reward-title').indexOf(title);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) {
    await new Promise((r) => setTimeout(r, 1));
    await flush(3);
  }
  expect(done()).toBe(true);
}

async function vouchersOf(clientId: number): Promise<{ public_id: string; code: string; status: string }[]> {
  return t.deps.db.query('SELECT public_id, code, status FROM vouchers WHERE client_id = ?', [clientId]);
}

describe('redemption end to end (pages → API → MySQL)', () => {
  it('a redemption whose every answer was lost is continued with its requestId: one voucher, one debit, and its QR scans to the stored code', async () => {
    const { client, token } = await clientWithPoints(500);
    const item = await reward(300, 5);
    const page = await renderPage(REWARDS, { storage: loggedIn(token), api: realApi(3) });
    expect(page.texts('.balance')).toEqual(['500']);

    await page.tap('.redeem', cardOf(page, item.title));
    await until(() => page.wx.modals.length === 2);
    expect(page.wx.modals[1].title).toBe('兑换结果未确认');
    // The server redeemed on the first try; only its answers were lost.
    expect(await vouchersOf(client.id)).toHaveLength(1);

    await page.tap('.redeem', cardOf(page, item.title));
    await until(() => page.wx.navigations.length === 1);

    const calls = callsTo(`POST /api/mp/rewards/${item.id}/redeem`);
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => (c.body as { requestId: string }).requestId)).size).toBe(1);
    const vouchers = await vouchersOf(client.id);
    expect(vouchers).toHaveLength(1);
    expect(await t.services.points.balance(client.id)).toBe(200);
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM points_entries WHERE client_id = ? AND reason = 'redeem'", [client.id]);
    expect(Number(n)).toBe(1);
    expect(page.wx.navigations[0].url).toBe(`/packageLoyalty/voucher/index?id=${vouchers[0].public_id}&fresh=1`);

    const voucher = await renderPage('packageLoyalty/voucher/index', { keepWx: true, api: realApi(), query: { id: vouchers[0].public_id, fresh: '1' } });
    expect(scanQr(voucher)).toBe(vouchers[0].code);
    expect(voucher.texts('.voucher-state')).toEqual(['待使用']);
  });

  it('too few points by the time of the tap: the real refusal shows the shortfall, and nothing is written', async () => {
    const { client, token } = await clientWithPoints(400);
    const item = await reward(300, 5);
    const page = await renderPage(REWARDS, { storage: loggedIn(token), api: realApi() });
    expect(page.texts('.balance')).toEqual(['400']);
    // Spent elsewhere while the page was open: 100 left.
    const other = await reward(300, 5);
    await t.services.rewards.redeem(client.id, other.id, randomUUID(), SYSTEM_ACTOR);

    await page.tap('.redeem', cardOf(page, item.title));
    await until(() => page.wx.modals.length === 2);

    expect(page.wx.modals[1]).toMatchObject({ title: '积分不足，还差 200 积分' });
    expect(page.texts('.balance')).toEqual(['100']);
    expect(await vouchersOf(client.id)).toHaveLength(1); // only the one redeemed elsewhere
    expect(await t.services.points.balance(client.id)).toBe(100);
  });

  it('sold out by the time of the tap: the real refusal says so, and no points are taken', async () => {
    const { client, token } = await clientWithPoints(500);
    const item = await reward(100, 1);
    const page = await renderPage(REWARDS, { storage: loggedIn(token), api: realApi() });
    const { client: faster } = await clientWithPoints(500);
    await t.services.rewards.redeem(faster.id, item.id, randomUUID(), SYSTEM_ACTOR);

    await page.tap('.redeem', cardOf(page, item.title));
    await until(() => page.wx.modals.length === 2);

    expect(page.wx.modals[1]).toMatchObject({ title: '已兑完' });
    await until(() => page.texts('.redeem')[cardOf(page, item.title)] === '已兑完');
    expect(await vouchersOf(client.id)).toHaveLength(0);
    expect(await t.services.points.balance(client.id)).toBe(500);
  });
});
