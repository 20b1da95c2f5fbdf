import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { giveHealthConsent, intentAnswers, submitIntent } from '../helpers/questionnaires';
import { publicId, randomCode } from '../../src/shared/crypto';
import { clientAad } from '../../src/modules/clients';
import { Client } from '../../src/modules/clients/clients.entity';
import type { Staff } from '../../src/modules/staff';

const text = (res: any, cb: (err: Error | null, body: string) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
};

const LEAD_HEADER = '\uFEFF客户ID,姓名,性别,年龄,阶段,专属咨询师,线索等级,意向分,意向项目,预算档,完整度(%),提交时间';

describe('list exports: leads and tasks', () => {
  let t: TestContext;
  let consultant: Staff;
  let tokens: Record<'director' | 'doctor' | 'consultant' | 'customer_service', string>;
  let own: Client, others: Client;

  /** A client with a name who submitted the intent questionnaire through the real route. */
  async function lead(consultantId: number | null, name: string): Promise<Client> {
    const client = await createClient(t, { consultantId, birthDate: '1994-05-12', gender: 'female' });
    await t.deps.db.getRepository(Client).update({ id: client.id }, { nameEnc: t.services.cipher.encrypt(name, clientAad.client(client.publicId, 'name')) });
    await giveHealthConsent(t, client.id);
    const res = await submitIntent(t, await clientToken(t, client), intentAnswers());
    expect(res.status).toBe(201);
    return client;
  }

  const exportLeads = (token: string, query: Record<string, string> = {}) =>
    t.http.get('/api/staff/leads/export').query({ format: 'csv', ...query }).set(bearer(token)).buffer(true).parse(text);

  const auditDetails = async (action: string, staffId?: number) => {
    const rows: { details: any }[] = await t.deps.db.query(
      `SELECT details FROM audit_log WHERE action = ?${staffId ? ' AND actor_id = ?' : ''} ORDER BY id`, staffId ? [action, staffId] : [action],
    );
    return rows.map((r) => (typeof r.details === 'string' ? JSON.parse(r.details) : r.details));
  };

  beforeAll(async () => {
    // Its own database: the export is of every lead of the hospital.
    t = await createTestContext({ isolatedDatabase: true });
    consultant = await createStaff(t, 'consultant', { displayName: '张顾问' });
    const other = await createStaff(t, 'consultant', { displayName: '李顾问' });
    tokens = {
      director: await staffToken(t, await createStaff(t, 'director')), doctor: await staffToken(t, await createStaff(t, 'doctor')),
      consultant: await staffToken(t, consultant), customer_service: await staffToken(t, await createStaff(t, 'customer_service')),
    };
    own = await lead(consultant.id, '林晓雯');
    others = await lead(other.id, '王美丽');
  }, 120_000);
  afterAll(async () => { await t?.close(); });

  it('the director gets every lead as CSV with a BOM and the header; no health answer, no phone', async () => {
    const res = await exportLeads(tokens.director);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('leads.csv');
    const lines = (res.body as string).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(LEAD_HEADER);
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.startsWith(own.publicId))).toMatch(/,林晓雯,女,\d+,[a-z_]+,张顾问,[A-D],\d+,/);
    expect(lines.find((l) => l.startsWith(others.publicId))).toContain(',王美丽,女,');
  });

  it('a consultant gets only their own clients’ leads, and each batch is audited with the clients it names', async () => {
    const res = await exportLeads(tokens.consultant);
    expect(res.status).toBe(200);
    const lines = (res.body as string).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[1].startsWith(own.publicId)).toBe(true);
    const [audit] = await auditDetails('lead.export', consultant.id);
    expect(audit).toMatchObject({ format: 'csv', role: 'consultant', results: 1, clientIds: [own.id] });
  });

  it('follows the list’s filters (grade) and its roles: customer service may not export leads', async () => {
    const all = (await exportLeads(tokens.director)).body.split('\r\n').slice(1).filter(Boolean).map((l: string) => l.split(','));
    const grade = all[0][6];
    const filtered = (await exportLeads(tokens.director, { grade })).body.split('\r\n').slice(1).filter(Boolean).map((l: string) => l.split(','));
    expect(filtered.map((l: string[]) => l[0]).sort()).toEqual(all.filter((l: string[]) => l[6] === grade).map((l: string[]) => l[0]).sort());
    const otherGrade = ['A', 'B', 'C', 'D'].find((g) => !all.some((l: string[]) => l[6] === g))!;
    expect((await exportLeads(tokens.director, { grade: otherGrade })).body.split('\r\n').filter(Boolean)).toEqual([LEAD_HEADER]);
    expect((await exportLeads(tokens.doctor)).status).toBe(200);
    const refused = await exportLeads(tokens.customer_service);
    expect(refused.status).toBe(403);
    expect((await t.http.get('/api/staff/leads/export').query({ format: 'pdf' }).set(bearer(tokens.director))).status).toBe(400);
    expect((await t.http.get('/api/staff/leads/export').query({ page: 2 }).set(bearer(tokens.director))).status).toBe(400);
  });

  it('streams 10,000 leads in keyset batches of 1,000, A first, each batch audited', async () => {
    const [{ id: responseId, template_id: templateId }] = await t.deps.db.query('SELECT id, template_id FROM questionnaire_responses ORDER BY id LIMIT 1');
    const now = t.clock.now();
    const N = 10_000;
    for (let from = 0; from < N; from += 2500) {
      const clients: unknown[][] = [];
      for (let i = from; i < from + 2500; i++) clients.push([publicId(), `o_lead_export_${i}`, randomCode(8), now, now]);
      await t.deps.db.query(`INSERT INTO clients (public_id, openid, referral_code, created_at, updated_at) VALUES ${clients.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, clients.flat());
    }
    // Grades alternate, so batches cross from one grade to the next mid-way.
    await t.deps.db.query(
      `INSERT INTO client_intents (client_id, latest_response_id, template_id, projects, intent_score, intent_components, lead_grade, risk_tolerance, expectation_flags, key_answers_enc, completeness_pct, submitted_at, updated_at)
       SELECT c.id, ?, ?, '[]', 50, '{}', ELT(1 + c.id % 3, 'A', 'B', 'C'), 'medium', '[]', '', 80, ?, ? FROM clients c WHERE c.openid LIKE 'o_lead_export_%'`,
      [responseId, templateId, now, now],
    );
    const before = (await auditDetails('lead.export')).length;
    const res = await exportLeads(tokens.director);
    expect(res.status).toBe(200);
    const lines = (res.body as string).split('\r\n').filter(Boolean);
    expect(lines).toHaveLength(1 + N + 2);
    const ids = lines.slice(1).map((l) => l.split(',')[0]);
    expect(new Set(ids).size).toBe(N + 2);
    const grades = lines.slice(1).map((l) => l.split(',')[6]);
    expect([...grades].sort()).toEqual(grades);
    const audits = (await auditDetails('lead.export')).slice(before);
    expect(audits.map((a) => a.results)).toEqual([...Array(10).fill(1000), 2]);
  }, 180_000);

  describe('tasks', () => {
    const exportTasks = (token: string, query: Record<string, string> = {}) =>
      t.http.get('/api/staff/tasks/export').query({ format: 'csv', ...query }).set(bearer(token)).buffer(true).parse(text);

    beforeAll(async () => {
      const task = (kind: string, clientId: number | null, assigneeRole: 'consultant' | 'customer_service', title: string) =>
        t.services.worklist.create(null, { kind, dedupeKey: `${kind}:${title}`, clientId, assigneeRole, title });
      await task('callback', own.id, 'consultant', '回访林晓雯');
      await task('callback', others.id, 'consultant', '回访王美丽');
      await task('complaint', null, 'customer_service', '处理投诉');
    });

    it('a consultant gets their role’s tasks about their own clients only, as CSV with a BOM; audited', async () => {
      const res = await exportTasks(tokens.consultant);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toContain('tasks.csv');
      const lines = (res.body as string).split('\r\n').filter(Boolean);
      expect(lines[0]).toBe('\uFEFF任务ID,类型,客户ID,负责角色,任务,截止时间,状态,完成时间,备注');
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(`,callback,${own.publicId},consultant,回访林晓雯,`);
      expect(lines[1]).toContain(',待办,');
      const [audit] = await auditDetails('worklist.export', consultant.id);
      expect(audit).toMatchObject({ format: 'csv', status: 'open', role: null, results: 1, clientIds: [own.id] });
    });

    it('customer service gets its role’s tasks; the director every task, filtered by role as the list is', async () => {
      const service = (await exportTasks(tokens.customer_service)).body.split('\r\n').filter(Boolean);
      expect(service).toHaveLength(2);
      expect(service[1]).toContain(',complaint,,customer_service,处理投诉,');
      expect((await exportTasks(tokens.director)).body.split('\r\n').filter(Boolean)).toHaveLength(4);
      expect((await exportTasks(tokens.director, { role: 'consultant' })).body.split('\r\n').filter(Boolean)).toHaveLength(3);
      expect((await exportTasks(tokens.director, { status: 'done' })).body.split('\r\n').filter(Boolean)).toHaveLength(1);
      expect((await t.http.get('/api/staff/tasks/export').query({ format: 'pdf' }).set(bearer(tokens.director))).status).toBe(400);
    });
  });
});
