import ExcelJS from 'exceljs';
import { publicId } from '../../src/shared/crypto';
import { quarterOf } from '../../src/modules/reports';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { externalNo, recordOrder, seededProject, staffActor } from '../helpers/orders';
import { grantHealthConsent, insertSurvey, proposedPlan } from '../helpers/consultations';

type Row = Record<string, any>;
const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('staff performance report (per consultant and per doctor, beside the previous period)', () => {
  let t: TestContext;
  let director: Staff, consultantA: Staff, consultantB: Staff, doctorX: Staff, doctorY: Staff;
  let directorToken: string;
  const at = (iso: string) => new Date(iso);
  const get = (path: string) => t.http.get(path).set(bearer(directorToken));
  const march = () => get('/api/staff/reports/staff-performance?from=2026-03-01&to=2026-03-31');
  const rowOf = (rows: Row[], s: Staff): Row => rows.find((r) => r.staff.id === s.publicId)!;

  async function lead(consultant: Staff | null, createdAt: string): Promise<Client> {
    const c = await createClient(t, { consultantId: consultant?.id ?? null });
    await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
    return c;
  }
  async function order(c: Client, doctor: Staff, paidAt: string, amountFen: number, treated = true) {
    const project = await seededProject(t, 'photorejuvenation');
    const o = await recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId: project.id, amountFen }], treated });
    const [{ id }] = await t.deps.db.query('SELECT id FROM orders WHERE public_id = ?', [o.id]);
    return { publicId: o.id, id: Number(id) };
  }
  async function plan(c: Client, doctor: Staff, proposedAt: string, acceptedAt: string | null) {
    await grantHealthConsent(t, c);
    const id = await proposedPlan(t, await staffToken(t, doctor), c.publicId);
    await t.deps.db.query('UPDATE plans SET proposed_at = ?, accepted_at = ?, status = ? WHERE public_id = ?',
      [at(proposedAt), acceptedAt ? at(acceptedAt) : null, acceptedAt ? 'accepted' : 'proposed', id]);
  }
  async function survey(c: Client, orderId: number, answeredAt: string, nps: number, score: number) {
    const cols = ['attitude', 'professionalism', 'environment', 'communication', 'waiting', 'explanation', 'pain_management', 'aftercare', 'value', 'privacy'].map((k) => `score_${k}`);
    await t.deps.db.query(
      `INSERT INTO satisfaction_surveys (public_id, client_id, order_id, status, expires_at, nps, answered_via, answered_at, created_at, ${cols.join(', ')})
       VALUES (?, ?, ?, 'answered', ?, ?, 'miniprogram', ?, ?, ${cols.map(() => '?').join(', ')})`,
      [publicId(), c.id, orderId, at(answeredAt), nps, at(answeredAt), at(answeredAt), ...cols.map(() => score)],
    );
  }

  beforeAll(async () => {
    // Its own database: the report counts every client, plan, order and survey of the hospital.
    t = await createTestContext({ now: '2026-04-10T02:00:00Z', isolatedDatabase: true, env: { ORDER_MAX_BACKDATE_DAYS: '1000' } });
    director = await createStaff(t, 'director');
    consultantA = await createStaff(t, 'consultant', { displayName: '咨询师甲' });
    consultantB = await createStaff(t, 'consultant', { displayName: '咨询师乙' });
    doctorX = await createStaff(t, 'doctor', { displayName: '医师甲' });
    doctorY = await createStaff(t, 'doctor', { displayName: '医师乙' });
    directorToken = await staffToken(t, director);

    // March 2026 in Shanghai is [28 Feb 16:00Z, 31 Mar 16:00Z); its previous period is February (1–28).
    const l1 = await lead(consultantA, '2026-02-28T16:00:00Z'); // 1 March 00:00: March
    const l2 = await lead(consultantA, '2026-03-31T15:59:59Z'); // 31 March 23:59:59: March
    await lead(consultantA, '2026-03-31T16:00:00Z'); // 1 April 00:00: not March
    const l4 = await lead(consultantA, '2026-02-28T15:59:59Z'); // 28 Feb 23:59:59: the previous period
    await lead(null, '2026-03-10T03:00:00Z'); // no consultant: nobody's lead

    // L1 paid in March, part refunded: converted, a first paid order, 3000 − 1000 yuan.
    const o1 = await order(l1, doctorX, '2026-03-10T03:00:00Z', 300_000);
    await t.services.orders.refund(staffActor(director), o1.publicId, { refundNo: externalNo('R'), amountFen: 100_000, reason: '部分退款' });
    // L2 paid at 1 April 00:00 Shanghai: not converted within March.
    const o2 = await order(l2, doctorX, '2026-03-31T16:00:00Z', 500_000);
    // L4: refunded in full, and a voided order: never worth anything, no revenue, not converted.
    const o4 = await order(l4, doctorX, '2026-03-05T03:00:00Z', 200_000, false);
    await t.services.orders.refund(staffActor(director), o4.publicId, { refundNo: externalNo('R'), amountFen: 200_000, reason: '全额退款' });
    const voided = await order(l4, doctorX, '2026-03-06T03:00:00Z', 80_000, false);
    await t.services.orders.voidOrder(staffActor(director), voided.publicId, '录入错误');

    await insertSurvey(t, l1.id, { submittedAt: at('2026-03-02T03:00:00Z') });
    await insertSurvey(t, l2.id, { submittedAt: at('2026-03-31T16:00:00Z') }); // April

    // Doctor X: two plans proposed in March (one accepted), one in February accepted only in March.
    await plan(l1, doctorX, '2026-03-03T03:00:00Z', '2026-03-04T03:00:00Z');
    await plan(l2, doctorX, '2026-03-20T03:00:00Z', null);
    await plan(l4, doctorX, '2026-02-10T03:00:00Z', '2026-03-02T03:00:00Z');

    // Surveys of X's orders, by A's clients: a promoter (all 5s) and a passive (all 4s) in March; a detractor answered in April.
    await survey(l1, o1.id, '2026-03-20T03:00:00Z', 10, 5);
    await survey(l4, o4.id, '2026-03-31T15:59:59Z', 8, 4);
    await survey(l2, o2.id, '2026-03-31T16:00:00Z', 2, 1);
  });
  afterAll(() => t?.close());

  it("a consultant's leads count from 00:00 of the first day to 23:59:59 of the last (Shanghai); conversion is the period's leads who paid before its end", async () => {
    const res = await march();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-03-01', to: '2026-03-31', previous: { from: '2026-02-01', to: '2026-02-28' } });
    const a = rowOf(res.body.consultants, consultantA);
    expect(a.staff).toEqual({ id: consultantA.publicId, name: '咨询师甲', active: true });
    expect(a.current).toMatchObject({ leads: 2, convertedLeads: 1, conversionRate: 0.5, firstPaidOrders: 1 });
    expect(a.previous).toMatchObject({ leads: 1, convertedLeads: 0, conversionRate: 0, firstPaidOrders: 0 });
    expect(a.change).toMatchObject({ leads: 1, convertedLeads: 1, conversionRate: 0.5, firstPaidOrders: 1 });
  });

  it("revenue is net of refunds (a full refund and a voided order count nothing) and the questionnaires and plans are those of the consultant's clients in the period", async () => {
    const a = rowOf((await march()).body.consultants, consultantA);
    expect(a.current).toMatchObject({ revenueFen: 200_000, questionnaires: 1, plans: 2 });
    expect(a.previous).toMatchObject({ revenueFen: 0, questionnaires: 0, plans: 1 });
    expect(a.change.revenueFen).toBe(200_000);
  });

  it("a consultant's satisfaction: mean indicator score and NPS of their clients' surveys answered in the period", async () => {
    const a = rowOf((await march()).body.consultants, consultantA);
    // 10 scores of 5 and 10 of 4; one promoter and one passive of two answers.
    expect(a.current).toMatchObject({ surveys: 2, averageScore: 4.5, nps: 50 });
    expect(a.previous).toMatchObject({ surveys: 0, averageScore: null, nps: null });
    expect(a.change).toMatchObject({ surveys: 2, averageScore: null, nps: null });
  });

  it("a doctor's plans proposed in the period, accepted before its end, treatments performed, NPS as the satisfaction report counts it", async () => {
    const res = await march();
    const x = rowOf(res.body.doctors, doctorX);
    // One treatment: L1's order (L2's was treated on 1 April, L4's orders never).
    expect(x.current).toEqual({ plansProposed: 2, plansAccepted: 1, acceptanceRate: 0.5, treatments: 1, surveys: 2, nps: 50 });
    // February's plan was accepted on 2 March: not within February.
    expect(x.previous).toEqual({ plansProposed: 1, plansAccepted: 0, acceptanceRate: 0, treatments: 0, surveys: 0, nps: null });
    const satisfaction = await get('/api/staff/reports/satisfaction?from=2026-03-01&to=2026-03-31');
    expect(satisfaction.body.byDoctor.find((d: Row) => d.doctor.id === doctorX.publicId).nps).toBe(x.current.nps);
  });

  it('an empty period gives zeros and null rates (never NaN or a division by zero), and so does its change', async () => {
    const res = await march();
    const b = rowOf(res.body.consultants, consultantB);
    expect(b.current).toEqual({ leads: 0, questionnaires: 0, plans: 0, firstPaidOrders: 0, convertedLeads: 0, conversionRate: null, revenueFen: 0, surveys: 0, averageScore: null, nps: null });
    expect(b.change.conversionRate).toBeNull();
    const y = rowOf(res.body.doctors, doctorY);
    expect(y.current).toEqual({ plansProposed: 0, plansAccepted: 0, acceptanceRate: null, treatments: 0, surveys: 0, nps: null });
    // A (leap) year with nothing at all; its previous period is the year before (12 whole months, 365 days).
    const empty = await get('/api/staff/reports/staff-performance?from=2020-01-01&to=2020-12-31');
    expect(empty.status).toBe(200);
    expect(empty.body.previous).toEqual({ from: '2019-01-01', to: '2019-12-31' });
    expect(JSON.stringify(empty.body)).not.toMatch(/NaN|Infinity/);
    expect(empty.body.consultants.every((r: Row) => r.current.conversionRate === null && r.previous.nps === null)).toBe(true);
  });

  it('March 2024 is compared with the leap February (1st 00:00 to the leap day 23:59:59); 1–30 March with the 30 days before, 31 January – 29 February', async () => {
    await lead(consultantB, '2024-02-29T15:59:59Z'); // 29 Feb 23:59:59: February
    await lead(consultantB, '2024-02-29T16:00:00Z'); // 1 March 00:00: March
    await lead(consultantB, '2024-01-31T16:00:00Z'); // 1 Feb 00:00: February
    await lead(consultantB, '2024-01-31T15:59:59Z'); // 31 Jan 23:59:59: January, in the 30 days before 1–30 March
    await lead(consultantB, '2024-01-30T16:00:00Z'); // 31 Jan 00:00: January, the first instant of the 30 days before 1–30 March
    await lead(consultantB, '2024-01-30T15:59:59Z'); // 30 Jan 23:59:59: January only
    const res = await get('/api/staff/reports/staff-performance?from=2024-03-01&to=2024-03-31');
    expect(res.body.previous).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    const b = rowOf(res.body.consultants, consultantB);
    expect([b.current.leads, b.previous.leads, b.change.leads]).toEqual([1, 2, -1]);
    // Not a whole month: the same number of calendar days, ending the day before.
    const days = await get('/api/staff/reports/staff-performance?from=2024-03-01&to=2024-03-30');
    expect(days.body.previous).toEqual({ from: '2024-01-31', to: '2024-02-29' });
    expect([rowOf(days.body.consultants, consultantB).current.leads, rowOf(days.body.consultants, consultantB).previous.leads]).toEqual([1, 4]);
    // A leap February itself is compared with January.
    const feb = await get('/api/staff/reports/staff-performance?from=2024-02-01&to=2024-02-29');
    expect(feb.body.previous).toEqual({ from: '2024-01-01', to: '2024-01-31' });
    expect([rowOf(feb.body.consultants, consultantB).current.leads, rowOf(feb.body.consultants, consultantB).previous.leads]).toEqual([2, 3]);
  });

  it('without dates it is this quarter (Shanghai), compared with the quarter before', async () => {
    expect(quarterOf(at('2026-03-31T16:00:00Z'))).toEqual({ from: '2026-04-01', to: '2026-06-30' });
    expect(quarterOf(at('2026-03-31T15:59:59Z'))).toEqual({ from: '2026-01-01', to: '2026-03-31' });
    expect(quarterOf(at('2024-02-10T00:00:00Z'))).toEqual({ from: '2024-01-01', to: '2024-03-31' });
    const res = await get('/api/staff/reports/staff-performance');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: '2026-04-01', to: '2026-06-30', previous: { from: '2026-01-01', to: '2026-03-31' } });
    expect(rowOf(res.body.consultants, consultantA).current.leads).toBe(1);
  });

  it('bad ranges are 400s naming the field; only the director reads it (403 for a consultant or a doctor); each read is audited', async () => {
    const cases: [string, string][] = [
      ['from=2026-03-31&to=2026-03-01', 'query.to'],
      ['from=2026-02-30&to=2026-03-01', 'query.from'],
      ['from=2026-03-01', 'query.to'],
      ['from=2025-01-01&to=2026-01-02', 'query.to'],
      ['from=2026-3-1&to=2026-03-31', 'query.from'],
    ];
    for (const [qs, field] of cases) {
      const res = await get(`/api/staff/reports/staff-performance?${qs}`);
      expect([qs, res.status]).toEqual([qs, 400]);
      expect(res.body.error.details.map((d: Row) => d.field)).toContain(field);
    }
    // A leap year's 366 days are allowed.
    expect((await get('/api/staff/reports/staff-performance?from=2024-01-01&to=2024-12-31')).status).toBe(200);
    for (const s of [consultantA, doctorX]) {
      const res = await t.http.get('/api/staff/reports/staff-performance').set(bearer(await staffToken(t, s)));
      expect(res.status).toBe(403);
    }
    const audited = await t.deps.db.query("SELECT actor_id AS actorId, details FROM audit_log WHERE action = 'report.staff_performance.read' ORDER BY id DESC LIMIT 1");
    expect(audited[0]).toMatchObject({ actorId: director.id, details: { from: '2024-01-01', to: '2024-12-31', role: 'director' } });
  });

  it('exports as CSV with a BOM and as xlsx, a line per person and period, amounts in yuan; audited as an export', async () => {
    const csv = await t.http.get('/api/staff/reports/staff-performance/export?from=2026-03-01&to=2026-03-31&format=csv').set(bearer(directorToken)).buffer(true).parse(binary);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toContain('staff-performance-2026-03-01-2026-03-31.csv');
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.startsWith('\uFEFF岗位,姓名,期间')).toBe(true);
    const line = text.split('\r\n').find((l) => l.startsWith('咨询师,咨询师甲,本期'))!;
    expect(line.split(',')).toEqual(['咨询师', '咨询师甲', '本期', '2026-03-01~2026-03-31', '2', '1', '2', '1', '1', '0.5', '2000', '4.5', '', '', '', '', '2', '50']);

    const xlsx = await t.http.get('/api/staff/reports/staff-performance/export?from=2026-03-01&to=2026-03-31&format=xlsx').set(bearer(directorToken)).buffer(true).parse(binary);
    expect(xlsx.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as any);
    const sheet = book.getWorksheet('员工绩效')!;
    const rows: unknown[][] = [];
    sheet.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    const doctorLine = rows.find((r) => r[1] === '医师甲' && r[2] === '上期')!;
    expect(doctorLine.slice(12, 17)).toEqual([1, 0, 0, 0, 0]);
    const [audit] = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'report.staff_performance.export' ORDER BY id DESC LIMIT 1");
    expect(audit.details).toMatchObject({ from: '2026-03-01', to: '2026-03-31', format: 'xlsx', role: 'director' });
    const forbidden = await t.http.get('/api/staff/reports/staff-performance/export?format=csv').set(bearer(await staffToken(t, consultantA)));
    expect(forbidden.status).toBe(403);
  });
});
