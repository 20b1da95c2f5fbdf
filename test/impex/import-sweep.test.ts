import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { IMPORT_RETENTION_DAYS, IMPORT_STALE_MS, importsSweepTask, type ImportJobView } from '../../src/modules/impex';
import { allTasks } from '../../src/scheduler/tasks';

const csv = (rows: string[][]) => Buffer.from(`\uFEFF${rows.map((r) => r.join(',')).join('\r\n')}\r\n`, 'utf8');
const HEADER = ['客户编号', '姓名', '手机号', '性别', '出生日期', '专属咨询师'];
const DAY_MS = 86400_000;

describe('import housekeeping: jobs whose process died, and uploads past their retention', () => {
  let t: TestContext;
  let token: string;

  const upload = (file: Buffer, filename: string) =>
    t.http.post('/api/staff/imports').query({ sourceSystem: 'his', kind: 'clients', filename }).set(bearer(token)).set('Content-Type', 'application/octet-stream').send(file);
  async function start(id: string, step: 'check' | 'run') {
    const res = await t.http.post(`/api/staff/imports/${id}/${step}`).set(bearer(token)).send({});
    if (res.status === 202) await t.services.impex.settled(id);
    return res;
  }
  const job = async (id: string): Promise<ImportJobView> => (await t.http.get(`/api/staff/imports/${id}`).set(bearer(token)).expect(200)).body;
  async function row(id: string): Promise<{ status: string; heartbeatAt: Date | null; hasReport: boolean; chunks: number }> {
    const [r] = await t.deps.db.query(
      'SELECT status, heartbeat_at AS heartbeatAt, report_enc IS NOT NULL AS hasReport, (SELECT COUNT(*) FROM import_file_chunks c WHERE c.job_id = j.id) AS chunks FROM import_jobs j WHERE public_id = ?', [id],
    );
    return { status: r.status, heartbeatAt: r.heartbeatAt, hasReport: Number(r.hasReport) === 1, chunks: Number(r.chunks) };
  }
  const sweep = () => importsSweepTask.run({ deps: t.deps, services: t.services, now: t.clock.now() });

  beforeAll(async () => {
    // Its own database: the sweep reads every import job.
    t = await createTestContext({ now: '2026-03-15T04:00:00Z', isolatedDatabase: true });
    token = await staffToken(t, await createStaff(t, 'director'));
  });
  afterAll(() => t?.close());

  it('is one of the scheduled tasks', () => {
    expect(allTasks().map((x) => x.id)).toContain('imports-sweep');
  });

  it('a run whose heartbeat went stale is marked failed; started again it finishes, rows written before coming back unchanged', async () => {
    const file = csv([HEADER, ['S1', '孙一', '13700000001', '女', '', ''], ['S2', '孙二', '13700000002', '女', '', ''], ['S3', '孙三', '13700000003', '男', '', '']]);
    // What the dead run managed to write: S1 (as an earlier import of the same source system).
    const partial = await upload(csv([HEADER, ['S1', '孙一', '13700000001', '女', '', '']]), '部分.csv');
    expect((await start(partial.body.id, 'run')).status).toBe(202);
    const up = await upload(file, '客户.csv');
    expect(up.status).toBe(201);
    // The process running it stamped it at 04:00 and died.
    await t.deps.db.query("UPDATE import_jobs SET status = 'running', heartbeat_at = ? WHERE public_id = ?", [t.clock.now(), up.body.id]);
    // A live job (stamped a minute ago) next to it is left alone.
    const live = await upload(csv([HEADER, ['S9', '孙九', '13700000009', '女', '', '']]), '在跑.csv');

    t.clock.advance(IMPORT_STALE_MS - 1000);
    await t.deps.db.query("UPDATE import_jobs SET status = 'running', heartbeat_at = ? WHERE public_id = ?", [new Date(t.clock.now().getTime() - 60_000), live.body.id]);
    expect((await sweep()).items).toBe(0);
    expect((await row(up.body.id)).status).toBe('running');

    t.clock.advance(2000);
    expect((await sweep()).items).toBe(1);
    expect((await row(up.body.id)).status).toBe('failed');
    expect((await row(live.body.id)).status).toBe('running');
    // Failed, not lost: the file is kept and the director starts it again.
    const again = await start(up.body.id, 'run');
    expect(again.status).toBe(202);
    const done = await job(up.body.id);
    expect(done.status).toBe('done');
    expect(done.counts).toEqual({ created: 2, matched: 0, unchanged: 1, failed: 0 });
    expect(Number((await t.deps.db.query("SELECT COUNT(*) AS n FROM import_links WHERE source_id IN ('S1', 'S2', 'S3')"))[0].n)).toBe(3);
    // The heartbeat was stamped when it started.
    expect((await row(up.body.id)).heartbeatAt).not.toBeNull();
    await t.deps.db.query("UPDATE import_jobs SET status = 'failed' WHERE public_id = ?", [live.body.id]);
  });

  it(`uploads and problem reports are purged ${IMPORT_RETENTION_DAYS} days after the import finished or was abandoned, not a second earlier; a purged upload asks to be uploaded again (410)`, async () => {
    const bad = csv([HEADER, ['P1', '', '13700000011', '女', '', '']]);
    const abandoned = await upload(bad, '放弃.csv'); // uploaded, never run
    const checked = await upload(bad, '已检查.csv');
    await start(checked.body.id, 'check');
    expect((await row(checked.body.id)).hasReport).toBe(true);
    const startedAt = t.clock.now();

    t.clock.set(new Date(startedAt.getTime() + IMPORT_RETENTION_DAYS * DAY_MS));
    await sweep();
    expect(await row(abandoned.body.id)).toMatchObject({ status: 'uploaded', chunks: 1 });
    expect(await row(checked.body.id)).toMatchObject({ status: 'checked', chunks: 1, hasReport: true });

    t.clock.advance(1000);
    expect((await sweep()).items).toBeGreaterThanOrEqual(3);
    expect(await row(abandoned.body.id)).toMatchObject({ status: 'uploaded', chunks: 0 });
    expect(await row(checked.body.id)).toMatchObject({ status: 'checked', chunks: 0, hasReport: false });
    const rerun = await start(checked.body.id, 'check');
    expect(rerun.status).toBe(410);
    expect(rerun.body.error).toMatchObject({ code: 'IMPORT_FILE_EXPIRED', details: [{ field: 'id', message: 'file removed' }] });
    expect((await row(checked.body.id)).status).toBe('checked');
  });
});
