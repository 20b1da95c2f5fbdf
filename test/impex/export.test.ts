import ExcelJS from 'exceljs';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { recordOrder, seededProject } from '../helpers/orders';
import { publicId, randomCode } from '../../src/shared/crypto';
import { clientAad } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { lineCounter, retainedHeapMb, type CountedLines } from '../helpers/streaming';

const ROWS = 100_000;

const binary = (res: any, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('list exports', () => {
  let t: TestContext;
  let director: Staff, consultant: Staff, doctor: Staff;
  let tokens: Record<'director' | 'consultant' | 'customer_service', string>;

  beforeAll(async () => {
    // Its own database: the export is of every client of the hospital.
    t = await createTestContext({ isolatedDatabase: true });
    director = await createStaff(t, 'director');
    consultant = await createStaff(t, 'consultant', { displayName: '张顾问' });
    doctor = await createStaff(t, 'doctor');
    tokens = {
      director: await staffToken(t, director), consultant: await staffToken(t, consultant), customer_service: await staffToken(t, await createStaff(t, 'customer_service')),
    };
    // 100,000 archives, encrypted as the product writes them; every tenth is the consultant's own.
    const now = t.clock.now();
    for (let from = 0; from < ROWS; from += 5000) {
      const rows: unknown[][] = [];
      for (let i = from; i < from + 5000; i++) {
        const pid = publicId();
        const phone = `137${String(i).padStart(8, '0')}`;
        rows.push([pid, `o_export_${i}`, t.services.cipher.encrypt(`客户${i}`, clientAad.client(pid, 'name')), t.services.cipher.encrypt(phone, clientAad.client(pid, 'phone')),
          t.services.cipher.blindIndex('phone', phone), randomCode(8), i % 10 === 0 ? consultant.id : null, now, now]);
      }
      await t.deps.db.query(
        `INSERT INTO clients (public_id, openid, name_enc, phone_enc, phone_bidx, referral_code, consultant_id, created_at, updated_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows.flat(),
      );
    }
  }, 300_000);
  afterAll(async () => { await t.close(); });

  it('streams 100,000 clients as CSV with a BOM in keyset batches, with bounded memory, each batch audited', async () => {
    const before = retainedHeapMb();
    const res = await t.http.get('/api/staff/clients/export').query({ format: 'csv' }).set(bearer(tokens.director)).buffer(true).parse(lineCounter);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toContain('clients.csv');
    const body = res.body as CountedLines;
    expect(body.head[0].startsWith('\uFEFF')).toBe(true);
    expect(body.lines).toBe(ROWS + 1);
    expect(body.head[0]).toBe('\uFEFF客户ID,姓名,性别,手机号,阶段,专属咨询师,来源渠道,建档时间');
    // The director's file carries whole phone numbers.
    expect(body.head[1]).toMatch(/,客户99999,未知,13700099999,lead,,/);
    // The whole file is about 9 MB of text, its rows ~100 MB as objects (more with their buffers and
    // decrypted strings): what the process retains while it streams (after a collection, every
    // 10,000 lines) stays far below that.
    expect(body.peakRetainedMb - before).toBeLessThan(40);
    const audits: { details: string | { results: number; clientIds: number[] } }[] = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'client.export'");
    const details = audits.map((a) => (typeof a.details === 'string' ? JSON.parse(a.details) : a.details));
    expect(details.length).toBe(ROWS / 1000);
    expect(details.every((d) => d.results === 1000 && d.clientIds.length === 1000)).toBe(true);
  }, 300_000);

  it('a consultant exports only their own clients, phones masked, as xlsx', async () => {
    const res = await t.http.get('/api/staff/clients/export').query({ format: 'xlsx' }).set(bearer(tokens.consultant)).buffer(true).parse(binary);
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body);
    const ws = wb.getWorksheet('客户')!;
    expect(ws.rowCount).toBe(ROWS / 10 + 1);
    expect(ws.getRow(2).getCell(4).value).toBe('137****9990');
    expect(ws.getRow(2).getCell(6).value).toBe('张顾问');
  }, 120_000);

  it('order exports leave out which projects were bought for roles without the health scope', async () => {
    const [row] = await t.deps.db.query('SELECT * FROM clients WHERE consultant_id = ? LIMIT 1', [consultant.id]);
    const project = await seededProject(t, 'hyaluronic_filler');
    await recordOrder(t, { client: { ...row, id: Number(row.id), publicId: row.public_id }, doctor, items: [{ projectId: project.id, amountFen: 123450 }], treated: false });
    const read = async (token: string) => {
      const res = await t.http.get('/api/staff/orders/export').query({ format: 'csv' }).set(bearer(token)).buffer(true).parse(binary);
      expect(res.status).toBe(200);
      return res.body.toString('utf8').split('\r\n')[1];
    };
    expect(await read(tokens.director)).toContain(',玻尿酸填充,1234.5,0,已支付,');
    expect(await read(tokens.consultant)).toMatch(/,,1234\.5,0,已支付,/);
    expect(await read(tokens.customer_service)).not.toContain('玻尿酸');
  });

  it('refuses an unknown format', async () => {
    const res = await t.http.get('/api/staff/clients/export').query({ format: 'pdf' }).set(bearer(tokens.director));
    expect(res.status).toBe(400);
  });
});
