import http from 'node:http';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { listen } from '../helpers/browser';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(60_000);

interface Sse { events: { event: string; data: string }[]; status: number; type: string; waitFor(pred: (e: { event: string; data: string }[]) => boolean): Promise<void>; close(): void }

/** Opens the stream as the console does (Authorization header) and collects its events as they come. */
function openStream(base: string, token: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/staff/me/stream`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const events: { event: string; data: string }[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          if (event) events.push({ event, data: lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '' });
        }
      });
      resolve({
        events, status: res.statusCode ?? 0, type: String(res.headers['content-type']),
        waitFor: async (pred) => {
          const deadline = Date.now() + 20_000;
          while (!pred(events)) {
            if (Date.now() > deadline || res.destroyed) throw new Error(`stream: condition not met; events ${JSON.stringify(events)}`);
            await new Promise((r) => res.once('data', r).once('close', r));
          }
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

describe('GET /api/staff/me/stream: new work told to open workbenches', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let a: Staff, b: Staff, service: Staff;
  beforeAll(async () => {
    t = await createTestContext({ env: { STAFF_STREAM_POLL_MS: '200' } });
    a = await createStaff(t, 'consultant');
    b = await createStaff(t, 'consultant');
    service = await createStaff(t, 'customer_service');
    server = await listen(t);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  const task = (to: Staff, title: string) =>
    t.services.worklist.create(null, { kind: 'callback', dedupeKey: `stream:${title}:${Date.now()}:${Math.random()}`, assigneeRole: to.role, assigneeId: to.id, title });

  it('says ready, then tells a consultant of a task for them and not of a task for another; a customer-service member hears of a new case', async () => {
    const [sa, sb, ss] = await Promise.all([openStream(server.url, await staffToken(t, a)), openStream(server.url, await staffToken(t, b)), openStream(server.url, await staffToken(t, service))]);
    expect(sa.status).toBe(200);
    expect(sa.type).toMatch(/^text\/event-stream/);
    await Promise.all([sa, sb, ss].map((s) => s.waitFor((e) => e.some((x) => x.event === 'ready'))));

    await task(a, '回访：术后第 3 天');
    await sa.waitFor((e) => e.some((x) => x.event === 'work'));
    expect(sa.events.filter((x) => x.event === 'work')).toEqual([{ event: 'work', data: '{"kind":"task"}' }]);
    // Created after A heard of theirs: had A's task reached B, B would hear twice.
    await task(b, '回访：术后第 7 天');
    await sb.waitFor((e) => e.some((x) => x.event === 'work'));
    expect(sb.events.filter((x) => x.event === 'work')).toEqual([{ event: 'work', data: '{"kind":"task"}' }]);

    const client = await createClient(t);
    await t.services.feedback.complain(client.id, { category: 'waiting', text: '等了一个小时', requestId: `stream-${Date.now()}` } as never);
    await ss.waitFor((e) => e.some((x) => x.data === '{"kind":"case"}'));
    [sa, sb, ss].forEach((s) => s.close());
  });

  it('refuses a stream without a valid session (401 JSON, like any staff route), so the console falls back and then asks for a login', async () => {
    const res = await t.http.get('/api/staff/me/stream').set(bearer('not-a-token'));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
  });

  it('stops reading the tables when the last stream closes, and starts from then for the next one (nothing older is news)', async () => {
    const s1 = await openStream(server.url, await staffToken(t, a));
    await s1.waitFor((e) => e.some((x) => x.event === 'ready'));
    s1.close();
    const deadline = Date.now() + 10_000;
    while (t.services.workStream.size > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(t.services.workStream.size).toBe(0);
    await task(a, '关闭期间的待办');
    const s2 = await openStream(server.url, await staffToken(t, a));
    await s2.waitFor((e) => e.some((x) => x.event === 'ready'));
    await task(a, '之后的待办');
    await s2.waitFor((e) => e.some((x) => x.event === 'work'));
    expect(s2.events.filter((x) => x.event === 'work')).toHaveLength(1);
    s2.close();
  });
});
