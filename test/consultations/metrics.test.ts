import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { insertSurvey } from '../helpers/consultations';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { ClientStage } from '../../src/modules/journey';
import { median } from '../../src/modules/consultations';

const NOW = '2026-06-01T02:00:00.000Z';
const HOUR = 3600_000;
// May 2026 on the Shanghai calendar: [2026-04-30T16:00Z, 2026-05-31T16:00Z).
const RANGE = 'from=2026-05-01&to=2026-05-31';

describe('pipeline metrics (director)', () => {
  let t: TestContext;
  let directorToken: string;
  // A channel of this run only, so rows of other test files do not count.
  const channel = `ch_${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    t = await createTestContext({ now: NOW });
    directorToken = await staffToken(t, await createStaff(t, 'director'));
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A client of the channel created at `createdAt`, moved through `stages` at the given hours after creation. */
  async function cohortClient(createdAt: string, stages: [ClientStage, number][] = [], sourceChannel = channel) {
    const client = await createClient(t, { sourceChannel });
    const created = new Date(createdAt);
    await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [created, client.id]);
    for (const [stage, hours] of stages) {
      await t.deps.db.transaction((m) => t.services.journey.moveTo(m, client.id, stage, SYSTEM_ACTOR, { at: new Date(created.getTime() + hours * HOUR) }));
    }
    return client;
  }

  const get = (query: string, token = directorToken) => t.http.get(`/api/staff/metrics/pipeline?${query}`).set(bearer(token));

  it('conversion through each stage and median hours between stages, for the cohort created in the range (Shanghai days)', async () => {
    await cohortClient('2026-05-10T02:00:00Z', [['surveyed', 24], ['plan_proposed', 48], ['plan_accepted', 72], ['booked', 96]]);
    await cohortClient('2026-05-11T02:00:00Z', [['surveyed', 12], ['plan_proposed', 36]]);
    await cohortClient('2026-04-30T16:30:00Z', [['surveyed', 48]]); // 1 May 00:30 in Shanghai: inside
    await cohortClient('2026-05-20T02:00:00Z');
    await cohortClient('2026-05-21T02:00:00Z', [['consulting', 3]]); // a consultation is no survey
    await cohortClient('2026-04-30T15:30:00Z', [['surveyed', 1]]); // 30 April 23:30 in Shanghai: outside
    await cohortClient('2026-05-12T02:00:00Z', [['surveyed', 1]], `${channel}_other`);

    const res = await get(`${RANGE}&channel=${channel}`);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-05-01', to: '2026-05-31', channel });
    expect(res.body.byChannel.map((c: { channel: string }) => c.channel)).toEqual([channel]);
    const m = res.body.overall;
    expect(m.cohort).toBe(5);
    expect(m.conversion).toEqual([
      { from: 'lead', to: 'surveyed', reachedFrom: 5, reached: 3, rate: 0.6 },
      { from: 'surveyed', to: 'plan_proposed', reachedFrom: 3, reached: 2, rate: 0.6667 },
      { from: 'plan_proposed', to: 'plan_accepted', reachedFrom: 2, reached: 1, rate: 0.5 },
      { from: 'plan_accepted', to: 'booked', reachedFrom: 1, reached: 1, rate: 1 },
    ]);
    expect(m.stageTimes).toEqual([
      { from: 'lead', to: 'surveyed', clients: 3, medianHours: 24 },
      { from: 'surveyed', to: 'plan_proposed', clients: 2, medianHours: 24 },
      { from: 'plan_proposed', to: 'plan_accepted', clients: 1, medianHours: 24 },
      { from: 'plan_accepted', to: 'booked', clients: 1, medianHours: 24 },
    ]);
  });

  it('survey completion (started vs submitted) and information completeness, by channel', async () => {
    const a = await cohortClient('2026-05-02T02:00:00Z', [], `${channel}_s`);
    const b = await cohortClient('2026-05-02T02:00:00Z', [], `${channel}_s`);
    const c = await cohortClient('2026-05-02T02:00:00Z', [], `${channel}_s`);
    const d = await cohortClient('2026-05-02T02:00:00Z', [], `${channel}_s`);
    await insertSurvey(t, a.id, { startedAt: new Date('2026-05-03T02:00:00Z'), submittedAt: new Date('2026-05-03T03:00:00Z'), completenessPct: 80 });
    await insertSurvey(t, b.id, { startedAt: new Date('2026-05-04T02:00:00Z'), submittedAt: new Date('2026-05-05T02:00:00Z'), completenessPct: 60 });
    await insertSurvey(t, c.id, { startedAt: new Date('2026-05-06T02:00:00Z') }); // started, never submitted
    await insertSurvey(t, d.id, { submittedAt: new Date('2026-05-07T02:00:00Z'), completenessPct: 100, draft: false });
    await insertSurvey(t, d.id, { startedAt: new Date('2026-04-20T02:00:00Z'), templateId: 2 }); // before the range

    const res = await get(`${RANGE}&channel=${channel}_s`);

    expect(res.body.overall.survey).toEqual({ started: 4, submitted: 3, completionRate: 0.75, responses: 3, completenessPct: 80 });
  });

  it('without a channel, every channel has its own figures and the overall figures add them up', async () => {
    const own = `${channel}_all`;
    await cohortClient('2026-05-15T02:00:00Z', [['surveyed', 5]], own);
    await cohortClient('2026-05-15T02:00:00Z', [], own);

    const res = await get(RANGE);

    expect(res.status).toBe(200);
    const mine = res.body.byChannel.find((c: { channel: string }) => c.channel === own);
    expect(mine.cohort).toBe(2);
    expect(mine.conversion[0]).toMatchObject({ reachedFrom: 2, reached: 1, rate: 0.5 });
    expect(mine.stageTimes[0]).toMatchObject({ clients: 1, medianHours: 5 });
    const sum = res.body.byChannel.reduce((n: number, c: { cohort: number }) => n + c.cohort, 0);
    expect(res.body.overall.cohort).toBe(sum);
    expect(res.body.overall.channel).toBeNull();
  });

  it('a range upside down or longer than a year is 400 with its field; only the director may read the metrics (403)', async () => {
    const upsideDown = await get('from=2026-05-31&to=2026-05-01');
    const tooLong = await get('from=2024-01-01&to=2026-05-01');
    const notADate = await get('from=2026-02-30&to=2026-05-01');
    const doctor = await get(RANGE, await staffToken(t, await createStaff(t, 'doctor')));

    expect(upsideDown.status).toBe(400);
    expect(upsideDown.body.error).toMatchObject({ code: 'METRICS_RANGE_INVALID', details: { field: 'query.to' } });
    expect(tooLong.body.error).toMatchObject({ code: 'METRICS_RANGE_INVALID', details: { field: 'query.from' } });
    expect(notADate.body.error.details).toEqual([expect.objectContaining({ field: 'query.from' })]);
    expect(doctor.status).toBe(403);
  });

  it('the median of an even count is the mean of the two middle values', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
  });
});
