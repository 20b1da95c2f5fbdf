import ExcelJS from 'exceljs';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff';
import type { ImportJobView } from '../../src/modules/impex';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { RoiReport } from '../../src/modules/marketing';
import { recordOrder, seededProject } from '../helpers/orders';

const csv = (rows: (string | number)[][]) => Buffer.from(`\uFEFF${rows.map((r) => r.join(',')).join('\r\n')}\r\n`, 'utf8');

async function xlsx(sheets: Record<string, (string | number | Date | null)[][]>, merge?: { sheet: string; range: string }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const r of rows) ws.addRow(r);
    if (merge?.sheet === name) ws.mergeCells(merge.range);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('imports of clients, orders and treatments', () => {
  let t: TestContext;
  let director: Staff, consultant: Staff;
  let token: string;
  const doctorName = '李医生';

  const upload = (file: Buffer, query: Record<string, string>, tok = token) =>
    t.http.post('/api/staff/imports').query({ sourceSystem: 'his', ...query }).set(bearer(tok)).set('Content-Type', 'application/octet-stream').send(file);

  /** Starts a dry run or real run and waits for it to finish, then reads the job. */
  async function runJob(id: string, step: 'check' | 'run', mapping?: Record<string, number>): Promise<ImportJobView> {
    const started = await t.http.post(`/api/staff/imports/${id}/${step}`).set(bearer(token)).send(mapping ? { mapping } : {});
    expect(started.status).toBe(202);
    await t.services.impex.settled(id);
    const job = await t.http.get(`/api/staff/imports/${id}`).set(bearer(token));
    expect(job.status).toBe(200);
    return job.body as ImportJobView;
  }

  async function importFile(file: Buffer, kind: string, filename: string): Promise<{ checked: ImportJobView; done: ImportJobView }> {
    const up = await upload(file, { kind, filename });
    expect(up.status).toBe(201);
    const checked = await runJob(up.body.id, 'check');
    const done = await runJob(up.body.id, 'run');
    return { checked, done };
  }

  const count = async (sql: string, params: unknown[] = []) => Number((await t.deps.db.query(sql, params))[0].n);

  beforeAll(async () => {
    // Its own database: RFM runs over every client, and the counts below are of the whole hospital.
    t = await createTestContext({ now: '2026-03-15T04:00:00Z', isolatedDatabase: true, env: { IMPORT_BATCH_SIZE: '3', IMPORT_MAX_BYTES: String(1024 * 1024) } });
    director = await createStaff(t, 'director');
    consultant = await createStaff(t, 'consultant', { displayName: '张顾问' });
    await createStaff(t, 'doctor', { displayName: doctorName });
    token = await staffToken(t, director);
  });
  afterAll(async () => { await t.close(); });

  describe('files that are not a sheet to import', () => {
    it('refuses an image, an empty file, a header without rows and a CSV that is not UTF-8 with 400', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      const cases: [Buffer, string][] = [
        [png, 'IMPORT_FILE_UNREADABLE'],
        [Buffer.alloc(0), 'IMPORT_FILE_EMPTY'],
        [csv([['编号', '姓名', '手机号']]), 'IMPORT_FILE_EMPTY'],
        // 张三 in GBK, as an older Excel saves "CSV"
        [Buffer.concat([Buffer.from('id,name,phone\r\n1,'), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from(',13800138000\r\n')]), 'IMPORT_FILE_UNREADABLE'],
        [Buffer.from('PK\u0003\u0004 this is no zip'), 'IMPORT_FILE_UNREADABLE'],
      ];
      for (const [file, code] of cases) {
        const res = await upload(file, { kind: 'clients', filename: 'x.csv' });
        expect({ code: res.body.error?.code, status: res.status }).toEqual({ code, status: 400 });
      }
    });

    it('refuses a file over the size limit with 413 before storing anything', async () => {
      const before = await count('SELECT COUNT(*) AS n FROM import_jobs');
      const res = await upload(Buffer.alloc(2 * 1024 * 1024, 0x41), { kind: 'clients', filename: 'big.csv' });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('IMPORT_FILE_TOO_LARGE');
      expect(await count('SELECT COUNT(*) AS n FROM import_jobs')).toBe(before);
    });

    it('lets only the director import', async () => {
      const res = await upload(csv([['id'], ['1']]), { kind: 'clients', filename: 'x.csv' }, await staffToken(t, consultant));
      expect(res.status).toBe(403);
    });
  });

  describe('clients', () => {
    const header = ['客户编号', '姓名', '手机号', '性别', '出生日期', '专属咨询师'];

    it('a dry run lists every problem by line and column, counts what would be created or matched, and writes nothing', async () => {
      // An existing client: imported by phone as matched, not twice.
      const existing = await t.http.post('/api/staff/clients').set(bearer(token)).send({ name: '老客户', phone: '13900000001', sourceChannel: 'walk_in' });
      expect(existing.status).toBe(201);
      const file = csv([
        header,
        ['C1', '王小美', '+86 138 0000 0001', '女', '1990/2/28', '张顾问'],
        ['C2', '李四', '139-0000-0001', '男', '1985年6月1日', ''],
        ['C3', '赵六', '138 0000 000X', '女', '2024-02-30', ''],
        ['C4', '钱七', '13800000001', '女', '', ''],
        ['C5', '', '13800000005', '女', '', '不存在的顾问'],
        ['C1', '重复', '13800000006', '女', '', ''],
      ]);
      const up = await upload(file, { kind: 'clients', filename: '客户.csv' });
      expect(up.status).toBe(201);
      expect(up.body.mapping).toEqual({ sourceId: 0, name: 1, phone: 2, gender: 3, birthDate: 4, consultant: 5 });
      const job = await runJob(up.body.id, 'check');
      expect(job.status).toBe('checked');
      expect(job.counts).toEqual({ created: 1, matched: 1, unchanged: 0, failed: 4 });
      expect(job.problems).toEqual(expect.arrayContaining([
        { line: 4, column: '手机号', reason: '138 0000 000X is not a phone number' },
        { line: 4, column: '出生日期', reason: '2024-02-30 is not a calendar day' },
        { line: 5, column: '手机号', reason: 'the same phone as line 2' },
        { line: 6, column: '姓名', reason: '姓名 is empty' },
        { line: 7, column: '客户编号', reason: 'source id C1 repeats line 2' },
      ]));
      expect(await count("SELECT COUNT(*) AS n FROM import_links WHERE kind = 'clients'")).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(1);
    });

    it('the real run writes encrypted archives found by phone, matches the existing one, and a second import changes nothing', async () => {
      const file = csv([
        header,
        ['C1', '王小美', '+86 138 0000 0001', '女', '1990/2/28', '张顾问'],
        ['C2', '李四', '139-0000-0001', '男', '1985年6月1日', ''],
        ['C3', '赵六', '138 0000 0003', '女', '45351', ''],
      ]);
      const { done } = await importFile(file, 'clients', '客户.csv');
      expect(done.status).toBe('done');
      expect(done.counts).toEqual({ created: 2, matched: 1, unchanged: 0, failed: 0 });
      expect(done.rowsDone).toBe(3);
      expect(done.rowsTotal).toBe(3);

      const [row] = await t.deps.db.query("SELECT c.name_enc, c.birth_date, c.consultant_id, c.openid FROM clients c JOIN import_links l ON l.target_id = c.id WHERE l.source_id = 'C1'");
      expect(row.name_enc.toString('latin1')).not.toContain('王');
      expect(Number(row.consultant_id)).toBe(consultant.id);
      expect(row.openid).toMatch(/^import:/);
      const found = await t.http.get('/api/staff/clients').query({ phone: '13800000001' }).set(bearer(token));
      expect(found.body.items.map((i: { name: string }) => i.name)).toEqual(['王小美']);
      const c3 = await t.deps.db.query("SELECT DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS d FROM clients c JOIN import_links l ON l.target_id = c.id WHERE l.source_id = 'C3'");
      expect(c3[0].d).toBe('2024-02-29');
      // No welcome points, no referral binding.
      expect(await count('SELECT COUNT(*) AS n FROM points_entries')).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM referral_bindings')).toBe(0);

      const clientsBefore = await count('SELECT COUNT(*) AS n FROM clients');
      const again = await importFile(file, 'clients', '客户.csv');
      expect(again.done.counts).toEqual({ created: 0, matched: 0, unchanged: 3, failed: 0 });
      expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(clientsBefore);
      const audits = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'import.clients'");
      expect(audits.length).toBeGreaterThan(0);
    });

    it('a phone already on a client imported under another source id is a conflict, not a merge', async () => {
      const { done } = await importFile(csv([header, ['C9', '冒名', '13800000001', '女', '', '']]), 'clients', '客户2.csv');
      expect(done.counts).toEqual({ created: 0, matched: 0, unchanged: 0, failed: 1 });
      expect(done.problems).toEqual([{ line: 2, column: '手机号', reason: 'the phone belongs to another client (imported as source id C1)' }]);
    });
  });

  describe('orders and treatments', () => {
    it('reads xlsx dates (serials and text), ¥ amounts, refuses merged cells, and feeds RFM with the real payment dates', async () => {
      const header = ['订单号', '客户编号', '项目编码', '实付金额', '支付日期', '医师'];
      const bad = await xlsx({ 订单: [header, ['O1', 'C1', 'hyaluronic_filler', '¥4,800.00', 45351, doctorName], ['O2', null, 'photorejuvenation', '1,200', '2024年3月1日', doctorName], ['O3', 'C2', 'photorejuvenation', 880, '2026/1/5', doctorName]] }, { sheet: '订单', range: 'B2:B3' });
      const up = await upload(bad, { kind: 'orders', filename: '订单.xlsx' });
      expect(up.status).toBe(201);
      const checked = await runJob(up.body.id, 'check');
      expect(checked.problems).toEqual(expect.arrayContaining([
        { line: 2, column: null, reason: 'inside merged cells B2:B3: unmerge them and fill every row' },
        { line: 3, column: null, reason: 'inside merged cells B2:B3: unmerge them and fill every row' },
      ]));

      const good = await xlsx({ 订单: [header,
        ['O1', 'C1', 'hyaluronic_filler', '¥4,800.00', 45351, doctorName],
        ['O2', 'C1', '光子嫩肤', '1,200', '2024年3月1日', doctorName],
        ['O3', 'C2', 'photorejuvenation', 880.5, new Date(Date.UTC(2026, 0, 5)), doctorName],
        ['O4', 'C3', 'hyaluronic_filler', '¥4,800.00', '2026-03-01', doctorName]] });
      const { done } = await importFile(good, 'orders', '订单.xlsx');
      expect(done.counts).toEqual({ created: 4, matched: 0, unchanged: 0, failed: 0 });
      const orders = await t.deps.db.query("SELECT order_no AS no, amount_paid_fen AS fen, paid_at AS paidAt, points_earned AS points FROM orders WHERE order_no IN ('O1','O2','O3') ORDER BY order_no");
      expect(orders.map((o: any) => [o.no, Number(o.fen), new Date(o.paidAt).toISOString(), Number(o.points)])).toEqual([
        ['O1', 480000, '2024-02-28T16:00:00.000Z', 0],
        ['O2', 120000, '2024-02-29T16:00:00.000Z', 0],
        ['O3', 88050, '2026-01-04T16:00:00.000Z', 0],
      ]);
      // No referral reward and no follow-up from a payment.
      expect(await count('SELECT COUNT(*) AS n FROM referral_rewards')).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM followup_steps')).toBe(0);

      await t.services.rfm.run(t.clock.now());
      const seg = await t.deps.db.query("SELECT l.source_id AS src, r.segment FROM client_rfm r JOIN import_links l ON l.target_id = r.client_id AND l.kind = 'clients' ORDER BY l.source_id");
      expect(seg.map((r: any) => [r.src, r.segment])).toEqual([['C1', 'long_dormant'], ['C2', 'active'], ['C3', 'active']]);
    });

    it('treatments keep their dates: an old one schedules nothing, a recent filler still gets its repurchase reminder', async () => {
      const file = csv([
        ['施术编号', '订单号', '项目编码', '施术日期'],
        ['T1', 'O1', 'hyaluronic_filler', '2024-02-29'],
        ['T4', 'O4', 'hyaluronic_filler', '2026/3/1'],
        ['T5', 'O3', 'hyaluronic_filler', '2026/1/5'],
      ]);
      const { done } = await importFile(file, 'treatments', '施术.csv');
      // T5's order paid for photorejuvenation: the batch of T1, T4 and T5 writes nothing.
      expect(done.counts).toEqual({ created: 0, matched: 0, unchanged: 0, failed: 3 });
      expect(done.problems).toEqual([
        { line: 2, column: null, reason: 'not written: line 4 in the same batch has a problem' },
        { line: 3, column: null, reason: 'not written: line 4 in the same batch has a problem' },
        { line: 4, column: '项目编码', reason: 'order O3 does not pay for 玻尿酸填充' },
      ]);
      expect(await count('SELECT COUNT(*) AS n FROM treatments')).toBe(0);

      const fixed = csv([['施术编号', '订单号', '项目编码', '施术日期'], ['T1', 'O1', 'hyaluronic_filler', '2024-02-29'], ['T4', 'O4', 'hyaluronic_filler', '2026/3/1']]);
      const run = await importFile(fixed, 'treatments', '施术.csv');
      expect(run.done.counts).toEqual({ created: 2, matched: 0, unchanged: 0, failed: 0 });
      const steps = await t.deps.db.query(
        `SELECT l.source_id AS src, s.step, s.due_at AS dueAt FROM followup_steps s JOIN import_links l ON l.target_id = s.treatment_id AND l.kind = 'treatments' ORDER BY s.due_at`,
      );
      expect(steps.every((s: any) => s.src === 'T4')).toBe(true);
      expect(steps.every((s: any) => new Date(s.dueAt).getTime() > t.clock.now().getTime() - 86_400_000)).toBe(true);
      expect(steps.map((s: any) => s.step)).toContain('repurchase');
    });
  });

  describe('imported orders and the channel ROI rollup', () => {
    it('a real run brings the rollup up to date for the months it wrote, and an earlier imported order moves the client\'s first paying month', async () => {
      const header = ['客户编号', '姓名', '手机号', '性别', '出生日期', '专属咨询师'];
      await importFile(csv([header, ['R1', '钱七', '13800000077', '女', '', '']]), 'clients', '客户R.csv');
      const [{ id }] = await t.deps.db.query("SELECT target_id AS id FROM import_links WHERE kind = 'clients' AND source_id = 'R1'");
      const client = (await t.deps.db.query('SELECT * FROM clients WHERE id = ?', [id]))[0];
      const doctor = await createStaff(t, 'doctor');
      const project = await seededProject(t, 'photorejuvenation');
      // A live order in March goes through the order hooks: the client is a new paying client of March (with C3, imported above).
      await recordOrder(t, { client: { ...client, id: Number(id), publicId: client.public_id }, doctor, paidAt: new Date('2026-03-10T03:00:00Z'), items: [{ projectId: project.id, amountFen: 50_000 }], treated: false });
      const q = (attribution: 'first' | 'last') => ({ from: '2025-12', to: '2026-03', attribution, groupBy: 'month' as const });
      const month = (r: RoiReport, m: string) => r.rows.filter((x) => x.month === m).reduce((s, x) => ({ revenue: s.revenue + x.revenueFen, fresh: s.fresh + x.newPayingClients }), { revenue: 0, fresh: 0 });
      expect(month(await t.services.marketing.roiReport(SYSTEM_ACTOR, q('first')), '2026-03')).toEqual({ revenue: 530_000, fresh: 2 });

      const { done } = await importFile(csv([['订单号', '客户编号', '项目编码', '实付金额', '支付日期', '医师'], ['RO1', 'R1', 'photorejuvenation', '1000', '2025-12-05', doctorName]]), 'orders', '订单R.csv');
      expect(done.problems).toEqual([]);
      expect(done.counts).toEqual({ created: 1, matched: 0, unchanged: 0, failed: 0 });
      for (const attribution of ['first', 'last'] as const) {
        const [rollup, truth] = await Promise.all([t.services.marketing.roiReport(SYSTEM_ACTOR, q(attribution)), t.services.marketing.recomputeRoi(q(attribution))]);
        expect(rollup.rows).toEqual(truth.rows);
        expect(rollup.totals).toEqual(truth.totals);
        // December has the imported ¥1,000 and the new paying client March had before.
        expect([month(rollup, '2025-12'), month(rollup, '2026-03')]).toEqual([{ revenue: 100_000, fresh: 1 }, { revenue: 530_000, fresh: 1 }]);
      }
    });

    it('a run started again after the orders were written but before the rollup was refreshed brings the rollup up to date (its rows come back unchanged)', async () => {
      const header = ['客户编号', '姓名', '手机号', '性别', '出生日期', '专属咨询师'];
      await importFile(csv([header, ['S1', '孙八', '13800000088', '女', '', '']]), 'clients', '客户S.csv');
      const orders = csv([['订单号', '客户编号', '项目编码', '实付金额', '支付日期', '医师'], ['SO1', 'S1', 'photorejuvenation', '700', '2025-11-05', doctorName]]);
      expect((await importFile(orders, 'orders', '订单S.csv')).done.counts?.created).toBe(1);
      const q = { from: '2025-11', to: '2025-11', attribution: 'first' as const, groupBy: 'month' as const };
      const truth = await t.services.marketing.recomputeRoi(q);
      expect(truth.totals.revenueFen).toBeGreaterThanOrEqual(70_000);
      // Arrange: the state a process that died after its last batch leaves, the month's rollup without these orders.
      await t.deps.db.query("DELETE FROM marketing_roi_months WHERE month = '2025-11'");
      await t.deps.db.query("DELETE FROM marketing_roi_client_months WHERE month = '2025-11'");
      expect((await t.services.marketing.roiReport(SYSTEM_ACTOR, q)).totals.revenueFen).toBe(0);

      // Act: the director starts it again.
      const again = await importFile(orders, 'orders', '订单S.csv');

      // Assert
      expect(again.done.counts).toEqual({ created: 0, matched: 0, unchanged: 1, failed: 0 });
      const rollup = await t.services.marketing.roiReport(SYSTEM_ACTOR, q);
      expect(rollup.rows).toEqual(truth.rows);
      expect(rollup.totals).toEqual(truth.totals);
    });
  });
});
