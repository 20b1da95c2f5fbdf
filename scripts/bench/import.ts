import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import ExcelJS from 'exceljs';
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
 * (a fresh database), run as the command itself in a process of its own: rows per second, seconds,
 * and that process's peak resident memory (the kernel's high-water mark, VmHWM).
 */
export async function importBench(withDatabase: WithDatabase, env: Record<string, string>): Promise<void> {
  const path = join(tmpdir(), `meiyan-bench-import-${process.pid}.xlsx`);
  try {
    progress(`writing ${CLIENTS.toLocaleString('en')} clients and ${ORDERS.toLocaleString('en')} orders to ${path}`);
    const bytes = await writeWorkbook(path);
    progress(`workbook: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    const dbEnv = { ...env, DB_NAME: 'meiyan_bench_import', IMPORT_BATCH_SIZE: '1000' };
    await withDatabase('meiyan_bench_import', { fresh: true, env: dbEnv }, async ({ deps }) => {
      await seedBulkStaff(deps.db, { doctor: DOCTORS.length });
      const started = process.hrtime.bigint();
      const run = await runImportCommand(path, dbEnv);
      const s = Number(process.hrtime.bigint() - started) / 1e9;
      const counts = (kind: 'clients' | 'orders') => (run.report[kind] as { counts?: { created?: number } } | undefined)?.counts?.created ?? 0;
      if (counts('clients') !== CLIENTS || counts('orders') !== ORDERS) {
        throw new Error(`import created ${counts('clients')} clients and ${counts('orders')} orders (exit ${run.code})`);
      }
      const created = counts('clients') + counts('orders');
      report('import', { rows_per_s: created / s, s, peak_rss_mb: run.peakKb / 1024, rows: created }, { s: ['<', 180], peak_rss_mb: ['<', 512] });
    });
  } finally {
    await fs.rm(path, { force: true });
  }
}

/**
 * Runs src/cli/import (the built one beside this bench, or the TypeScript one) on `file` with the
 * bench database's settings; answers its exit code, its JSON report and its peak resident memory.
 */
function runImportCommand(file: string, env: Record<string, string>): Promise<{ code: number | null; report: Record<string, unknown>; peakKb: number }> {
  const ts = extname(__filename) === '.ts';
  const script = resolve(__dirname, `../../src/cli/import${ts ? '.ts' : '.js'}`);
  const execArgv = ts ? ['-r', resolve(__dirname, '../../test/miniprogram/helpers/register-ts.js')] : [];
  const child = spawn(process.execPath, [...execArgv, script, file, '--source', 'bench'], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  let peakKb = 0;
  // The kernel's high-water mark of the process's resident memory: read until it exits.
  const sample = () => {
    try {
      const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // gone already
    }
  };
  const sampler = setInterval(sample, 50);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code) => {
      clearInterval(sampler);
      try {
        done({ code, report: JSON.parse(out) as Record<string, unknown>, peakKb });
      } catch {
        fail(new Error(`npm run import ended with ${code} and no report`));
      }
    });
  });
}
