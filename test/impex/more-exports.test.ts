import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { grantHealthConsent, slot } from '../helpers/consultations';
import { createProject, externalNo, staffActor } from '../helpers/orders';
import { publicId, randomCode } from '../../src/shared/crypto';
import { clientAad } from '../../src/modules/clients';
import { Client } from '../../src/modules/clients/clients.entity';
import type { Staff, StaffRole } from '../../src/modules/staff';
import { lineCounter, retainedHeapMb, type CountedLines } from '../helpers/streaming';

type Role = StaffRole;
interface Fixture { client: Client; caseId: string; appointmentId: string; treatmentId: string; voucherId: string; voucherCode: string }

const text = (res: any, cb: (err: Error | null, body: string) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
};
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** A text cell starting like a formula carries a leading apostrophe (CSV injection guard): ids can start with '-'. */
const unguard = (v: unknown) => (typeof v === 'string' ? v.replace(/^'(?=[=+\-@\t\r])/, '') : v);

/** RFC 4180 as the export writes it: quoted cells may hold commas, quotes and line breaks. */
function parseCsv(body: string): string[][] {
  expect(body.startsWith('\uFEFF')).toBe(true);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 1; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') (cell += '"', i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(cell), cell = '');
    else if (ch === '\r' && body[i + 1] === '\n') (row.push(cell), rows.push(row), row = [], cell = '', i++);
    else cell += ch;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows.map((r) => r.map((c) => unguard(c) as string));
}

describe('list and report exports: cases, appointments, treatments, vouchers, posts, the operation log and the reports', () => {
  let t: TestContext;
  const staff = {} as Record<Role, Staff> & { otherConsultant: Staff };
  const tokens = {} as Record<Role, string>;
  let own: Fixture, other: Fixture;
  let projectId: string;

  const csv = async (path: string, token: string, query: Record<string, string> = {}) => {
    const res = await t.http.get(path).query({ format: 'csv', ...query }).set(bearer(token)).buffer(true).parse(text);
    return { status: res.status, res, rows: res.status === 200 ? parseCsv(res.body as string) : [] };
  };
  const auditDetails = async (action: string, staffId?: number) => {
    const rows: { details: any }[] = await t.deps.db.query(
      `SELECT details FROM audit_log WHERE action = ?${staffId ? ' AND actor_id = ?' : ''} ORDER BY id`, staffId ? [action, staffId] : [action],
    );
    return rows.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details));
  };

  async function fixture(consultant: Staff, name: string): Promise<Fixture> {
    const director = staffActor(staff.director);
    const client = await createClient(t, { consultantId: consultant.id });
    await t.deps.db.getRepository(Client).update({ id: client.id }, { nameEnc: t.services.cipher.encrypt(name, clientAad.client(client.publicId, 'name')) });
    await grantHealthConsent(t, client);
    const token = await clientToken(t, client);
    const appointment = await t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: slot(t, 3) });
    const order = await t.services.orders.recordOrder(director, {
      orderNo: externalNo(), clientId: client.publicId, doctorId: staff.doctor.publicId, paidAt: new Date(t.clock.now().getTime() - 3600_000),
      items: [{ projectId, amountFen: 500000 }],
    });
    const { treatment } = await t.services.care.recordTreatment(director, { requestId: randomUUID(), order: order.id, project: projectId, performedAt: t.clock.now() });
    await t.services.points.adjust(director, client.id, 1000, '导出测试', randomUUID());
    const item = await t.services.rewards.createItem(director, { kind: 'care_product', title: '术后修护套装', pointsPrice: 10, stock: 100 });
    const voucher = await t.services.rewards.redeem(client.id, item.id, randomUUID(), { type: 'client', id: client.id, role: 'client', ip: null, requestId: null });
    const complaint = await t.http.post('/api/mp/complaints').set(bearer(token)).send({ category: 'service_attitude', text: '等候时间太长，前台态度一般', requestId: randomUUID() });
    if (appointment.status !== 201 || complaint.status !== 201) throw new Error(`fixture: ${appointment.status} ${complaint.status}`);
    const [{ code }] = await t.deps.db.query('SELECT code FROM vouchers WHERE public_id = ?', [voucher.id]);
    return { client, caseId: complaint.body.complaint.id, appointmentId: appointment.body.id, treatmentId: treatment.id, voucherId: voucher.id, voucherCode: code };
  }

  beforeAll(async () => {
    // Its own database: the exports are of every row of the hospital. Cases go to the client's consultant,
    // so the access rule must keep a consultant to their own clients' cases.
    t = await createTestContext({ isolatedDatabase: true, env: { CASE_ASSIGNEE_ROLE: 'consultant' } });
    for (const role of ['director', 'doctor', 'consultant', 'customer_service'] as const) {
      staff[role] = await createStaff(t, role);
      tokens[role] = await staffToken(t, staff[role]);
    }
    staff.otherConsultant = await createStaff(t, 'consultant');
    projectId = (await createProject(t, { name: '导出测试项目', category: 'light' })).id;
    own = await fixture(staff.consultant, '林晓雯');
    other = await fixture(staff.otherConsultant, '王美丽');
  }, 120_000);
  afterAll(async () => { await t?.close(); });

  describe('cases', () => {
    it('the file holds what the list holds, in its order, with a BOM and the header; no complaint text', async () => {
      const { status, res, rows } = await csv('/api/staff/cases/export', tokens.director);
      expect(status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toContain('cases.csv');
      expect(rows[0]).toEqual(['工单ID', '客户ID', '来源', '等级', '类别', '状态', '负责角色', '处理时限', '已超时', 'NPS', '订单号', '创建时间', '解决时间', '处理人']);
      const list = await t.http.get('/api/staff/cases').query({ pageSize: 100 }).set(bearer(tokens.director));
      expect(rows.slice(1).map((r) => r[0])).toEqual(list.body.items.map((c: { id: string }) => c.id));
      expect(rows.slice(1).map((r) => r[0]).sort()).toEqual([own.caseId, other.caseId].sort());
      expect(rows.find((r) => r[0] === own.caseId)).toEqual(expect.arrayContaining([own.client.publicId, '投诉', 'service_attitude', '处理中', 'consultant', '否']));
      expect(res.body).not.toContain('等候时间太长');
    });

    it('a consultant gets their own clients’ cases only, audited with the clients named; filters as the list', async () => {
      const mine = await csv('/api/staff/cases/export', tokens.consultant);
      expect(mine.rows.slice(1).map((r) => r[0])).toEqual([own.caseId]);
      expect(await auditDetails('feedback.cases.export', staff.consultant.id)).toEqual([
        expect.objectContaining({ format: 'csv', status: null, overdue: null, role: 'consultant', results: 1, clientIds: [own.client.id] }),
      ]);
      expect((await csv('/api/staff/cases/export', tokens.director, { status: 'resolved' })).rows).toHaveLength(1);
      expect((await csv('/api/staff/cases/export', tokens.director, { overdue: 'true' })).rows).toHaveLength(1);
      expect((await csv('/api/staff/cases/export', tokens.director, { status: 'open', overdue: 'false' })).rows).toHaveLength(3);
      expect((await csv('/api/staff/cases/export', tokens.doctor)).status).toBe(403);
    });

    it('refuses a format it does not write, and paging, naming the field', async () => {
      const bad = await t.http.get('/api/staff/cases/export').query({ format: 'pdf' }).set(bearer(tokens.director));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe('query.format');
      const paged = await t.http.get('/api/staff/cases/export').query({ page: 2 }).set(bearer(tokens.director));
      expect(paged.status).toBe(400);
      expect(paged.body.error.details[0].field).toBe('query.page');
    });
  });

  describe('appointments', () => {
    it('as xlsx: the list’s rows for the same days, with the client’s name; a consultant’s own only; audited', async () => {
      const read = async (token: string) => {
        const res = await t.http.get('/api/staff/appointments/export').query({ format: 'xlsx' }).set(bearer(token)).buffer(true).parse(binary);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(res.body);
        const ws = wb.getWorksheet('预约')!;
        const rows: unknown[][] = [];
        ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1).map(unguard)));
        return rows;
      };
      const all = await read(tokens.director);
      expect(all[0]).toEqual(['预约ID', '客户ID', '姓名', '类型', '状态', '预约时间', '时长(分钟)', '医师', '创建时间']);
      const list = await t.http.get('/api/staff/appointments').set(bearer(tokens.director));
      expect(all.slice(1).map((r) => r[0])).toEqual(list.body.items.map((a: { id: string }) => a.id));
      expect(all.find((r) => r[0] === own.appointmentId)!.slice(1, 5)).toEqual([own.client.publicId, '林晓雯', '面诊', '待确认']);
      expect((await read(tokens.customer_service)).length).toBe(all.length);
      const mine = await read(tokens.consultant);
      expect(mine.slice(1).map((r) => r[0])).toEqual([own.appointmentId]);
      expect(await auditDetails('appointment.export', staff.consultant.id)).toEqual([expect.objectContaining({ format: 'xlsx', results: 1, clientIds: [own.client.id] })]);
    });

    it('keeps the list’s days and checks them as the list does', async () => {
      const later = await csv('/api/staff/appointments/export', tokens.director, { from: '2030-01-01', to: '2030-01-31' });
      expect(later.rows).toHaveLength(1);
      const backwards = await t.http.get('/api/staff/appointments/export').query({ from: '2030-01-02', to: '2030-01-01' }).set(bearer(tokens.director));
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.details[0].field).toBe('query.to');
      const bad = await t.http.get('/api/staff/appointments/export').query({ format: 'docx' }).set(bearer(tokens.director));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe('query.format');
    });
  });

  describe('treatments', () => {
    it('doctors and the director only (which procedure is health data); one client’s or all; no notes; audited', async () => {
      const all = await csv('/api/staff/treatments/export', tokens.doctor);
      expect(all.status).toBe(200);
      expect(all.rows[0]).toEqual(['施术ID', '客户ID', '施术时间', '项目', '部位', '疗程次数', '医师', '订单号', '状态']);
      expect(all.rows.slice(1).map((r) => r[0]).sort()).toEqual([own.treatmentId, other.treatmentId].sort());
      expect(all.rows[1][3]).toBe('导出测试项目');
      const one = await csv('/api/staff/treatments/export', tokens.director, { client: own.client.publicId });
      expect(one.rows.slice(1).map((r) => r[0])).toEqual([own.treatmentId]);
      expect((await csv('/api/staff/treatments/export', tokens.director, { from: '2030-01-01' })).rows).toHaveLength(1);
      expect((await csv('/api/staff/treatments/export', tokens.consultant)).status).toBe(403);
      expect((await csv('/api/staff/treatments/export', tokens.customer_service)).status).toBe(403);
      expect((await csv('/api/staff/treatments/export', tokens.director, { client: publicId() })).status).toBe(404);
      expect(await auditDetails('care.treatments.export', staff.doctor.id)).toEqual([expect.objectContaining({ format: 'csv', results: 2 })]);
      const bad = await t.http.get('/api/staff/treatments/export').query({ from: '1.1.2026' }).set(bearer(tokens.director));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe('query.from');
    });
  });

  describe('vouchers', () => {
    it('within the role’s money reach, never with the code that redeems them; audited', async () => {
      const desk = await csv('/api/staff/vouchers/export', tokens.customer_service);
      expect(desk.status).toBe(200);
      expect(desk.rows.slice(1).map((r) => r[0]).sort()).toEqual([own.voucherId, other.voucherId].sort());
      expect(desk.rows.find((r) => r[0] === own.voucherId)).toEqual(expect.arrayContaining(['术后修护套装', '积分兑换', '10', '未使用']));
      expect(desk.res.body).not.toContain(own.voucherCode);
      const mine = await csv('/api/staff/vouchers/export', tokens.consultant);
      expect(mine.rows.slice(1).map((r) => r[0])).toEqual([own.voucherId]);
      expect((await csv('/api/staff/vouchers/export', tokens.consultant, { client: other.client.publicId })).status).toBe(404);
      expect((await csv('/api/staff/vouchers/export', tokens.director, { status: 'used' })).rows).toHaveLength(1);
      expect((await csv('/api/staff/vouchers/export', tokens.doctor)).status).toBe(403);
      // The refused look at another consultant's client is audited too (as the access rule audits every refusal).
      expect(await auditDetails('rewards.vouchers.export', staff.consultant.id)).toEqual([
        expect.objectContaining({ results: 1, clientIds: [own.client.id] }), { reason: 'not_assigned', role: 'consultant', scope: 'money' },
      ]);
    });
  });

  describe('community posts', () => {
    it('any staff member gets the posts, newest first, by status; audited', async () => {
      const at = new Date(t.clock.now().getTime() + 3 * 86400_000);
      const post = await t.services.community.create(staffActor(staff.consultant), {
        title: '美丽学院直播预告', text: '周四晚八点，医生在线答疑, 欢迎提问', audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'once', at },
      });
      const drafts = await csv('/api/staff/community/posts/export', tokens.customer_service, { status: 'draft' });
      expect(drafts.status).toBe(200);
      expect(drafts.rows.slice(1)).toEqual([expect.arrayContaining([post.id, '美丽学院直播预告', '周四晚八点，医生在线答疑, 欢迎提问', '草稿', '群：美丽学院1群'])]);
      expect((await csv('/api/staff/community/posts/export', tokens.director, { status: 'sent' })).rows).toHaveLength(1);
      expect(await auditDetails('community.posts.export', staff.customer_service.id)).toEqual([{ format: 'csv', status: 'draft', results: 1 }]);
    });
  });

  describe('the operation log', () => {
    it('the director gets the list’s search as a file, newest first; nobody else', async () => {
      const search = { action: 'feedback.cases.export' };
      const file = await csv('/api/staff/audit/export', tokens.director, search);
      expect(file.status).toBe(200);
      expect(file.rows[0]).toEqual(['日志ID', '时间', '操作者类型', '操作者ID', '角色', '操作', '客户ID', '是否允许', 'IP', '请求ID', '详情']);
      const list = await t.http.get('/api/staff/audit').query({ ...search, limit: 200 }).set(bearer(tokens.director));
      expect(file.rows.slice(1).map((r) => r[0])).toEqual(list.body.items.map((i: { id: string }) => i.id));
      expect(file.rows.length).toBeGreaterThan(2);
      // The details stay one cell, JSON with its commas quoted.
      expect(JSON.parse(file.rows[1][10])).toMatchObject({ format: 'csv' });
      expect((await csv('/api/staff/audit/export', tokens.consultant)).status).toBe(403);
      expect(await auditDetails('audit.export')).toEqual([expect.objectContaining({ format: 'csv', action: 'feedback.cases.export', results: file.rows.length - 1 })]);
      const bad = await t.http.get('/api/staff/audit/export').query({ limit: 10 }).set(bearer(tokens.director));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe('query.limit');
    });
  });

  describe('reports', () => {
    const REPORTS: [string, Record<string, string>, string][] = [
      ['/api/staff/metrics/pipeline/export', {}, '渠道'],
      ['/api/staff/reports/satisfaction/export', {}, '维度'],
      ['/api/staff/reports/rfm/segments/export', {}, '分层'],
      ['/api/staff/reports/dormant/export', { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, '触达动作'],
      ['/api/staff/reports/appointments/export', {}, '医师'],
      ['/api/staff/reports/consistency/export', {}, '账目'],
    ];

    it('each report as a file for the director, audited; 403 for other roles', async () => {
      for (const [path, query, first] of REPORTS) {
        const file = await csv(path, tokens.director, query);
        expect([path, file.status]).toEqual([path, 200]);
        expect(file.rows[0][0]).toBe(first);
        expect((await csv(path, tokens.consultant, query)).status).toBe(403);
      }
      const audits = await auditDetails('report.export', staff.director.id);
      expect(audits.map((a) => a.report)).toEqual(['pipeline', 'satisfaction', 'rfm_segments', 'dormant', 'appointments', 'consistency']);
    });

    it('the figures are the report’s: appointments per doctor and kind with the totals; dormant steps with what they spent', async () => {
      const json = await t.http.get('/api/staff/reports/appointments').query({ from: '2026-01-01', to: '2026-12-31' }).set(bearer(tokens.director));
      const file = await csv('/api/staff/reports/appointments/export', tokens.director, { from: '2026-01-01', to: '2026-12-31' });
      expect(file.rows.length).toBe(1 + json.body.rows.length + 1);
      expect(file.rows[file.rows.length - 1]).toEqual(['合计', '', ...['booked', 'completed', 'cancelled', 'noShow', 'open'].map((k) => String(json.body.totals[k]))]);
      const dormant = await csv('/api/staff/reports/dormant/export', tokens.director, { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' });
      expect(dormant.rows.map((r) => r[0])).toEqual(['触达动作', '3个月关怀', '6个月专属礼', '12个月回访']);
      expect(dormant.rows[0][4]).toBe('回店消费额(元,扣除退款)');
      const consistency = await csv('/api/staff/reports/consistency/export', tokens.director);
      expect(consistency.rows.slice(1, 3).map((r) => [r[0], r[3]])).toEqual([['积分账户', '0'], ['返现账户', '0']]);
    });

    it('checks the report’s own query and the format, naming the field', async () => {
      const backwards = await t.http.get('/api/staff/reports/dormant/export').query({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }).set(bearer(tokens.director));
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.details[0].field).toBe('query.to');
      const bad = await t.http.get('/api/staff/reports/rfm/segments/export').query({ format: 'pdf' }).set(bearer(tokens.director));
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].field).toBe('query.format');
    });
  });

  it('streams 100,000 vouchers in keyset batches with bounded memory, each batch audited', async () => {
    const N = 100_000;
    const [{ item_id: itemId }] = await t.deps.db.query('SELECT item_id FROM vouchers WHERE public_id = ?', [own.voucherId]);
    const now = t.clock.now();
    const expires = new Date(now.getTime() + 30 * 86400_000);
    for (let from = 0; from < N; from += 5000) {
      const rows: unknown[][] = [];
      for (let i = from; i < from + 5000; i++) rows.push([publicId(), own.client.id, itemId, 10, randomCode(10), `bulk-${i}`, expires, now]);
      await t.deps.db.query(
        `INSERT INTO vouchers (public_id, client_id, item_id, points, code, idempotency_key, expires_at, created_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows.flat(),
      );
    }
    const before = (await auditDetails('rewards.vouchers.export')).length;
    const heapBefore = retainedHeapMb();
    const res = await t.http.get('/api/staff/vouchers/export').query({ format: 'csv' }).set(bearer(tokens.director)).buffer(true).parse(lineCounter);
    expect(res.status).toBe(200);
    const body = res.body as CountedLines;
    expect(body.head[0].startsWith('\uFEFF券ID,客户ID,名称')).toBe(true);
    expect(body.lines).toBe(1 + N + 2);
    // 100,000 rows as objects with their strings would be well over 100 MB: what the process retains
    // while it streams (after a collection, every 10,000 lines) stays far below that.
    expect(body.peakRetainedMb - heapBefore).toBeLessThan(40);
    const audits = (await auditDetails('rewards.vouchers.export')).slice(before);
    expect(audits.map((a) => a.results)).toEqual([...Array(100).fill(1000), 2]);
  }, 300_000);
});
