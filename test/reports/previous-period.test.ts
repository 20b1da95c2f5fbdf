import { previousDates, previousInstants } from '../../src/shared/clock';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';

describe('the previous period: whole calendar months shift back by as many months, other ranges by as many days (Asia/Shanghai dates)', () => {
  it.each([
    // [range, previous]
    ['a quarter: Q1 2026 is compared with Q4 2025', ['2026-01-01', '2026-03-31'], ['2025-10-01', '2025-12-31']],
    ['a 31-day month after a leap February', ['2024-03-01', '2024-03-31'], ['2024-02-01', '2024-02-29']],
    ['a 31-day month after a common February', ['2023-03-01', '2023-03-31'], ['2023-02-01', '2023-02-28']],
    ['a 31-day month after a 30-day month', ['2026-05-01', '2026-05-31'], ['2026-04-01', '2026-04-30']],
    ['a 30-day month after a 31-day month', ['2026-04-01', '2026-04-30'], ['2026-03-01', '2026-03-31']],
    ['a leap February', ['2024-02-01', '2024-02-29'], ['2024-01-01', '2024-01-31']],
    ['January: December of the year before', ['2027-01-01', '2027-01-31'], ['2026-12-01', '2026-12-31']],
    ['a quarter across the year end', ['2026-12-01', '2027-02-28'], ['2026-09-01', '2026-11-30']],
    ['a leap year: the year before', ['2020-01-01', '2020-12-31'], ['2019-01-01', '2019-12-31']],
    // Not whole months: the same number of calendar days, ending the day before.
    ['a month but its last day', ['2024-03-01', '2024-03-30'], ['2024-01-31', '2024-02-29']],
    ['a month but its first day', ['2024-03-02', '2024-03-31'], ['2024-02-01', '2024-03-01']],
    ['from the 1st to a 1st', ['2024-03-01', '2024-04-01'], ['2024-01-29', '2024-02-29']],
    ['the last day of a month only', ['2024-02-29', '2024-02-29'], ['2024-02-28', '2024-02-28']],
    ['the 1st of a month only', ['2024-03-01', '2024-03-01'], ['2024-02-29', '2024-02-29']],
    ['a range across the year end', ['2026-12-25', '2027-01-07'], ['2026-12-11', '2026-12-24']],
  ])('%s', (_name, [from, to], [pFrom, pTo]) => {
    expect(previousDates(from, to)).toEqual({ from: pFrom, to: pTo });
  });

  it('instants: whole Shanghai months [1 March 00:00, 1 April 00:00) are compared with the whole leap February', () => {
    const from = new Date('2024-02-29T16:00:00Z'); // 1 March 2024 00:00 in Shanghai
    const to = new Date('2024-03-31T16:00:00Z'); // 1 April 2024 00:00
    expect(previousInstants(from, to)).toEqual({ from: new Date('2024-01-31T16:00:00Z'), to: from });
  });

  it('instants: other spans are compared with the span of equal length just before, even across a leap day', () => {
    const from = new Date('2024-02-29T16:00:00Z'); // 1 March 2024 00:00 in Shanghai
    expect(previousInstants(from, new Date('2024-03-31T16:00:01Z'))).toEqual({ from: new Date('2024-01-29T15:59:59Z'), to: from });
    // Midnights, not whole months: whole days (1–30 March is compared with 31 January – 29 February).
    expect(previousInstants(from, new Date('2024-03-30T16:00:00Z'))).toEqual({ from: new Date('2024-01-30T16:00:00Z'), to: from });
    // UTC midnights are not Shanghai midnights.
    expect(previousInstants(new Date('2024-03-01T00:00:00Z'), new Date('2024-04-01T00:00:00Z'))).toEqual({ from: new Date('2024-01-30T00:00:00Z'), to: new Date('2024-03-01T00:00:00Z') });
  });
});

describe('reports with the previous period (pipeline, satisfaction, dormant): the API answers both', () => {
  let t: TestContext;
  let director: string;

  beforeAll(async () => {
    // The cohorts count every client created in the range: a database of its own.
    t = await createTestContext({ now: '2024-04-02T02:00:00Z', isolatedDatabase: true });
    director = await staffToken(t, await createStaff(t, 'director'));
    // Leads on each side of midnight 1 March 2024 in Shanghai, and on the last day of the previous period's range.
    const lead = async (channel: string, at: string) => {
      const c = await createClient(t, { sourceChannel: channel });
      await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [new Date(at), c.id]);
    };
    await lead('douyin', '2024-02-29T15:59:59Z'); // 29 Feb 23:59:59 Shanghai: the previous period
    await lead('douyin', '2024-02-29T16:00:00Z'); // 1 March 00:00 Shanghai: this period
    await lead('xiaohongshu', '2024-03-31T15:59:59Z'); // 31 March 23:59:59: this period
    await lead('xiaohongshu', '2024-01-31T15:59:59Z'); // 31 Jan 23:59:59: before the previous period (February)
    await lead('xiaohongshu', '2024-01-31T16:00:00Z'); // 1 Feb 00:00: the previous period's first instant
  });
  afterAll(() => t?.close());
  const get = (path: string) => t.http.get(path).set(bearer(director));

  it('the pipeline of March 2024 compares with the leap February, split at Shanghai midnight', async () => {
    const res = await get('/api/staff/metrics/pipeline?from=2024-03-01&to=2024-03-31');
    expect(res.status).toBe(200);
    expect(res.body.overall.cohort).toBe(2);
    expect(res.body.previous).toMatchObject({ from: '2024-02-01', to: '2024-02-29', overall: { cohort: 2 } });
    // A channel filter applies to both periods.
    const douyin = await get('/api/staff/metrics/pipeline?from=2024-03-01&to=2024-03-31&channel=douyin');
    expect([douyin.body.overall.cohort, douyin.body.previous.overall.cohort]).toEqual([1, 1]);
  });

  it('satisfaction of a leap February compares with January; a bad range is still a 400', async () => {
    const res = await get('/api/staff/reports/satisfaction?from=2024-02-01&to=2024-02-29');
    expect(res.status).toBe(200);
    expect(res.body.previous).toMatchObject({ from: '2024-01-01', to: '2024-01-31', overall: { responses: 0, nps: null } });
    const backwards = await get('/api/staff/reports/satisfaction?from=2024-03-01&to=2024-02-29');
    expect(backwards.status).toBe(400);
  });

  it('the dormant report of a Shanghai month compares with the month before; another span with the equal span before it', async () => {
    const res = await get(`/api/staff/reports/dormant?from=${encodeURIComponent('2024-03-01T00:00:00+08:00')}&to=${encodeURIComponent('2024-04-01T00:00:00+08:00')}`);
    expect(res.status).toBe(200);
    expect(res.body.previous.from).toBe('2024-01-31T16:00:00.000Z');
    expect(res.body.previous.to).toBe('2024-02-29T16:00:00.000Z');
    const span = await get(`/api/staff/reports/dormant?from=${encodeURIComponent('2024-03-01T00:00:00+08:00')}&to=${encodeURIComponent('2024-03-31T12:00:00+08:00')}`);
    expect(span.body.previous).toMatchObject({ from: '2024-01-30T04:00:00.000Z', to: '2024-02-29T16:00:00.000Z' });
    expect(res.body.previous.tiers.map((x: { tier: string }) => x.tier)).toEqual(['care_3m', 'gift_6m', 'callback_12m']);
  });
});
