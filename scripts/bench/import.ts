import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { progress, report, WithDatabase } from './harness';
import { seedBulkStaff } from './seed';

const CLIENTS = 100_000;
const ORDERS = 300_000;
const PROJECTS = ['hyaluronic_filler', 'photorejuvenation', 'botulinum', 'rhinoplasty'];
const DOCTORS = ['李1', '李2', '李3', '李4'];
const DAY_MS = 86_400_000;

/** One workbook as a hospital's old system would hand it over: a 客户 sheet and an 订单 sheet, written as a stream. */
export async function writeWorkbook(path: string, from = 0, clientsN = CLIENTS, ordersN = ORDERS): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: false });
  const clients = wb.addWorksheet('客户');
  clients.addRow(['客户编号', '姓名', '手机号', '性别', '出生日期', '来源渠道']).commit();
  for (let i = from; i < from + clientsN; i++) {
    const phone = `139${String(i).padStart(8, '0')}`;
    clients.addRow([
      `K${i}`, `客户${i}`, i % 3 === 0 ? `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}` : phone, i % 5 === 0 ? '男' : '女',
      // Birth dates as text in three formats and as Excel day numbers.
      [`19${70 + (i % 30)}-0${1 + (i % 9)}-1${i % 9}`, `19${70 + (i % 30)}/${1 + (i % 12)}/1`, `19${70 + (i % 30)}年3月${1 + (i % 28)}日`, 30000 + (i % 5000)][i % 4],
      ['xiaohongshu', 'douyin', 'walk_in'][i % 3],
    ]).commit();
  }
  clients.commit();
  const orders = wb.addWorksheet('订单');
  orders.addRow(['订单号', '客户编号', '项目编码', '实付金额', '支付日期', '医师']).commit();
  const start = Date.UTC(2024, 0, 1);
  for (let i = from; i < from + ordersN; i++) {
    const fen = 50_000 + ((i * 7919) % 2_000_000);
    const paid = new Date(start + ((i * 104_729) % 700) * DAY_MS);
    orders.addRow([
      `D${i}`, `K${i % CLIENTS}`, PROJECTS[i % PROJECTS.length], i % 2 ? `¥${(fen / 100).toLocaleString('en', { minimumFractionDigits: 2 })}` : fen / 100,
      i % 2 ? paid.toISOString().slice(0, 10) : 25569 + paid.getTime() / DAY_MS, DOCTORS[i % DOCTORS.length],
    ]).commit();
  }
  orders.commit();
  await wb.commit();
  return (await fs.stat(path)).size;
}

/**
 * `npm run import -- file.xlsx` on a generated workbook of 100,000 clients and 300,000 orders
 * (a fresh database): rows per second, seconds, and the process's peak resident memory while importing.
 */
export async function importBench(withDatabase: WithDatabase): Promise<void> {
  const path = join(tmpdir(), `meiyan-bench-import-${process.pid}.xlsx`);
  try {
    progress(`writing ${CLIENTS.toLocaleString('en')} clients and ${ORDERS.toLocaleString('en')} orders to ${path}`);
    const bytes = await writeWorkbook(path);
    progress(`workbook: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    await withDatabase('meiyan_bench_import', { fresh: true, env: { IMPORT_BATCH_SIZE: '1000' } }, async ({ deps, services }) => {
      await seedBulkStaff(deps.db, { doctor: DOCTORS.length });
      global.gc?.();
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
      let last = 0;
      const started = process.hrtime.bigint();
      const reports = await services.impex.importFile(SYSTEM_ACTOR, () => createReadStream(path), {
        kind: null, sourceSystem: 'bench', dryRun: false,
        onProgress: (kind, done, total) => {
          if (Date.now() - last > 5000) { last = Date.now(); progress(`import: ${kind} ${done}/${total}`); }
        },
      });
      const s = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const created = (reports.clients?.counts.created ?? 0) + (reports.orders?.counts.created ?? 0);
      if (reports.clients?.counts.created !== CLIENTS || reports.orders?.counts.created !== ORDERS) {
        const named = [...reports.clients?.problems ?? [], ...reports.orders?.problems ?? []].filter((p) => !p.reason.startsWith('not written')).slice(0, 5);
        throw new Error(`import created ${reports.clients?.counts.created} clients and ${reports.orders?.counts.created} orders: ${JSON.stringify(named)}`);
      }
      report('import', { rows_per_s: created / s, s, peak_rss_mb: peak / 1024 / 1024, rows: created }, { s: ['<', 180], peak_rss_mb: ['<', 512] });
    });
  } finally {
    await fs.rm(path, { force: true });
  }
}
