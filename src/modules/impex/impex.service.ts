import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { FieldCipher, publicId as newPublicId } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientImports } from '../clients';
import { refreshRoiRollup } from '../marketing';
import { OrderImports } from '../orders';
import { TreatmentImports, type CareService } from '../care';
import { ImportErrors } from './impex.errors';
import { ImportEngine, type ImportCounts, type PassReport } from './impex.engine';
import { FIELDS, guessMapping, mappingProblems, type ColumnMapping, type ImportKind, type RowProblem } from './impex.kinds';
import { cellText } from './impex.parse';
import { kindOfSheet, mergedLineRange, readHead, sheetNames, readRows, scanXlsxSheet, sniffFormat, type FileFormat, type Opener } from './impex.reader';
import type { ImportStatus } from './impex.entity';

export interface ImpexDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  care: CareService;
  logger: Logger;
}

export interface UploadMeta {
  kind: ImportKind;
  filename: string;
  sourceSystem: string;
}

export interface ImportJobView {
  id: string;
  kind: ImportKind;
  sourceSystem: string;
  filename: string;
  format: FileFormat;
  status: ImportStatus;
  headers: string[];
  mapping: ColumnMapping;
  fields: { key: string; label: string; required: boolean }[];
  rowsTotal: number | null;
  rowsDone: number;
  counts: ImportCounts | null;
  problems: RowProblem[];
  problemCount: number;
  createdAt: Date;
  finishedAt: Date | null;
}

interface JobRow {
  id: number; public_id: string; kind: ImportKind; source_system: string; filename: string; format: FileFormat; size_bytes: number; status: ImportStatus;
  headers: string[] | string; mapping: ColumnMapping | string; rows_total: number | null; rows_done: number; counts: ImportCounts | string | null;
  report_enc: Buffer | null; created_at: Date; finished_at: Date | null;
}

// Stored uploads are encrypted in chunks under MariaDB's packet limit.
const CHUNK_BYTES = 1024 * 1024;
/** Associated data of an import's problem report (re-encryption needs it too). */
export const reportAad = (jobPublicId: string) => `import_jobs:${jobPublicId}:report`;
const chunkAad = (jobPublicId: string, seq: number) => `import_file_chunks:${jobPublicId}:${seq}`;
const json = <T>(v: T | string): T => (typeof v === 'string' ? JSON.parse(v) as T : v);

// A running job's process stamps it this often; a stamp older than IMPORT_STALE_MS means the process died.
const HEARTBEAT_MS = 30_000;
export const IMPORT_STALE_MS = 10 * 60_000;
// An upload (names, phones) and its problem report (which quotes cells) are kept this long after the
// import finished or was abandoned: long enough to fix and rerun, not kept for good (PIPL: no longer than needed).
export const IMPORT_RETENTION_DAYS = 7;

/** The options of one file import from the command line. */
export interface FileImportOptions {
  kind: ImportKind | null;
  sourceSystem: string;
  dryRun: boolean;
  mapping?: ColumnMapping;
  onProgress?(kind: ImportKind, rowsDone: number, rowsTotal: number): void;
}

/**
 * Imports 数据导入 of clients, orders and treatments from xlsx or CSV (director): upload → column
 * mapping (guessed from the headers, editable) → dry run listing every row's problem and what
 * would be created or matched → real run in batches, with progress. Idempotent by source system
 * and source id (import_links). The engine (impex.engine.ts) does the rows; this keeps the jobs.
 */
export class ImpexService {
  private readonly engine: ImportEngine;

  constructor(private readonly deps: ImpexDeps) {
    this.engine = new ImportEngine({
      db: deps.db, clock: deps.clock, audit: deps.audit,
      clientImports: new ClientImports(deps.cipher), orderImports: new OrderImports(), treatmentImports: new TreatmentImports(deps.care),
    });
  }

  /** Stores an upload (encrypted) with the mapping its headers suggest. Too large: 413; not a spreadsheet or empty: 400. */
  async upload(actor: Actor, meta: UploadMeta, body: AsyncIterable<Buffer>, declaredBytes?: number): Promise<ImportJobView> {
    const max = this.deps.config.imports.maxBytes;
    if (declaredBytes !== undefined && declaredBytes > max) throw tooLarge(max);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of body) {
      size += c.length;
      if (size > max) throw tooLarge(max);
      chunks.push(c);
    }
    const file = Buffer.concat(chunks);
    const open: Opener = () => Readable.from([file]);
    const format = sniffFormat(file.subarray(0, 4096));
    const headers = await this.headersOf(open, format, meta.kind);
    const pid = newPublicId();
    const now = this.deps.clock.now();
    await runInTransaction(this.deps.db, async (m) => {
      const inserted: { insertId: number } = await m.query(
        `INSERT INTO import_jobs (public_id, kind, source_system, filename, format, size_bytes, status, headers, mapping, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'uploaded', ?, ?, ?, ?)`,
        [pid, meta.kind, meta.sourceSystem, meta.filename, format, size, JSON.stringify(headers), JSON.stringify(guessMapping(meta.kind, headers)), actor.id ?? 0, now],
      );
      for (let seq = 0; seq * CHUNK_BYTES < file.length; seq++) {
        const part = file.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES);
        await m.query('INSERT INTO import_file_chunks (job_id, seq, data_enc) VALUES (?, ?, ?)', [inserted.insertId, seq, this.deps.cipher.encrypt(part.toString('base64'), chunkAad(pid, seq))]);
      }
      await this.deps.audit.record(actor, 'import.upload', { details: { job: pid, kind: meta.kind, sourceSystem: meta.sourceSystem, format, bytes: size, columns: headers.length } }, m);
    });
    return this.view(await this.jobRow(pid));
  }

  async get(actor: Actor, jobPublicId: string): Promise<ImportJobView> {
    void actor;
    return this.view(await this.jobRow(jobPublicId));
  }

  /** Starts a dry run (nothing written): every row's problem and the created/matched/unchanged counts; poll the job. */
  async startCheck(actor: Actor, jobPublicId: string, mapping?: ColumnMapping): Promise<ImportJobView> {
    return this.start(actor, jobPublicId, mapping, false);
  }

  /** Starts the real run in batches; poll the job for rows done of total. */
  async startRun(actor: Actor, jobPublicId: string, mapping?: ColumnMapping): Promise<ImportJobView> {
    return this.start(actor, jobPublicId, mapping, true);
  }

  /** Resolves when the job is no longer checking or running (tests and the CLI wait on this). */
  async settled(jobPublicId: string): Promise<void> {
    await this.running.get(jobPublicId);
  }

  private readonly running = new Map<string, Promise<void>>();

  private async start(actor: Actor, jobPublicId: string, mapping: ColumnMapping | undefined, write: boolean): Promise<ImportJobView> {
    const job = await this.jobRow(jobPublicId);
    const headers = json(job.headers);
    const map = mapping ?? json(job.mapping);
    const problems = mappingProblems(job.kind, map, headers);
    if (problems.length) throw new AppError(ImportErrors.IMPORT_MAPPING_INVALID, 'The column mapping is incomplete', problems.map((p) => ({ field: `body.mapping.${p.column}`, message: p.reason })));
    if (job.status !== 'done') {
      const [stored] = await this.deps.db.query('SELECT 1 AS present FROM import_file_chunks WHERE job_id = ? LIMIT 1', [job.id]);
      if (!stored) throw new AppError(ImportErrors.IMPORT_FILE_EXPIRED, `The uploaded file was removed after ${IMPORT_RETENTION_DAYS} days: upload it again`, [{ field: 'id', message: 'file removed' }]);
    }
    const result: { affectedRows: number } = await this.deps.db.query(
      `UPDATE import_jobs SET status = ?, mapping = ?, rows_done = 0, counts = NULL, report_enc = NULL, finished_at = NULL, heartbeat_at = ?
        WHERE id = ? AND status IN ('uploaded', 'checked', 'failed')`,
      [write ? 'running' : 'checking', JSON.stringify(map), this.deps.clock.now(), job.id],
    );
    if (!result.affectedRows) throw new AppError(ImportErrors.IMPORT_ALREADY_RUN, `This import is ${job.status}`, [{ field: 'id', message: job.status }]);
    await this.deps.audit.record(actor, write ? 'import.run' : 'import.check', { details: { job: jobPublicId, kind: job.kind, sourceSystem: job.source_system } });
    // The heartbeat says this process is still at it (see sweep); a failure or a finish stops it.
    const beat = setInterval(() => {
      this.deps.db.query("UPDATE import_jobs SET heartbeat_at = ? WHERE id = ? AND status IN ('checking', 'running')", [this.deps.clock.now(), job.id])
        .catch((err) => this.deps.logger.warn({ err, job: jobPublicId }, 'import heartbeat failed'));
    }, HEARTBEAT_MS);
    beat.unref();
    const work = this.execute(actor, job, headers, map, write).catch(async (err) => {
      this.deps.logger.error({ err, job: jobPublicId }, 'import failed');
      await this.deps.db.query("UPDATE import_jobs SET status = 'failed', finished_at = ? WHERE id = ? AND status IN ('checking', 'running')", [this.deps.clock.now(), job.id]);
    }).finally(() => {
      clearInterval(beat);
      this.running.delete(jobPublicId);
    });
    this.running.set(jobPublicId, work);
    return this.view(await this.jobRow(jobPublicId));
  }

  private async execute(actor: Actor, job: JobRow, headers: string[], mapping: ColumnMapping, write: boolean): Promise<void> {
    const open = await this.storedFile(job);
    const report = await this.runPass(open, job.format, job.kind, {
      actor, jobId: job.id, sourceSystem: job.source_system, headers, mapping, write,
      onTotal: (total) => this.deps.db.query('UPDATE import_jobs SET rows_total = ? WHERE id = ?', [total, job.id]),
      onBatch: (done, counts) => this.deps.db.query('UPDATE import_jobs SET rows_done = ?, counts = ?, heartbeat_at = ? WHERE id = ?', [done, JSON.stringify(counts), this.deps.clock.now(), job.id]),
    });
    const status: ImportStatus = write ? 'done' : 'checked';
    await this.deps.db.query(
      "UPDATE import_jobs SET status = ?, rows_done = ?, rows_total = ?, counts = ?, report_enc = ?, finished_at = ? WHERE id = ? AND status IN ('checking', 'running')",
      [status, report.rows, report.rows, JSON.stringify(report.counts), this.deps.cipher.encryptJson({ problems: report.problems, problemCount: report.problemCount }, reportAad(job.public_id)),
        this.deps.clock.now(), job.id],
    );
    // The file holds names and phones: once imported it is not kept.
    if (write) await this.deps.db.query('DELETE FROM import_file_chunks WHERE job_id = ?', [job.id]);
  }

  /**
   * One pass over a sheet: scans it first (row count for progress, merged cells), then sorts or
   * writes its rows. Shared by the API's jobs and the command line.
   */
  private async runPass(
    open: Opener, format: FileFormat, kind: ImportKind,
    o: {
      actor: Actor; jobId: number | null; sourceSystem: string; headers: string[]; mapping: ColumnMapping; write: boolean; sheetByKind?: boolean;
      pending?: Map<ImportKind, Set<string>>;
      onTotal?(total: number): Promise<unknown> | void; onBatch?(done: number, counts: ImportCounts): Promise<unknown> | void;
    },
  ): Promise<PassReport> {
    const sheetKind = o.sheetByKind === false ? null : kind;
    let mergedLines: ((line: number) => string | null) | undefined;
    if (format === 'xlsx') {
      const scan = await scanXlsxSheet(open, sheetKind);
      await o.onTotal?.(Math.max(0, scan.rows - 1));
      const ranges = scan.merges.map((r) => ({ r, lines: mergedLineRange(r) })).filter((x) => x.lines[1] > 1);
      if (ranges.length) mergedLines = (line) => ranges.find((x) => line >= x.lines[0] && line <= x.lines[1])?.r ?? null;
    } else {
      let n = 0;
      for await (const row of readRows(open, format, null)) if (row.line > 0) n++;
      await o.onTotal?.(Math.max(0, n - 1));
    }
    const report = await this.engine.pass(readRows(open, format, sheetKind), {
      kind, sourceSystem: o.sourceSystem, headers: o.headers, mapping: o.mapping, write: o.write, actor: o.actor, jobId: o.jobId,
      batchSize: this.deps.config.imports.batchSize, mergedLines, pending: o.pending,
      onBatch: async (done, counts) => { await o.onBatch?.(done, counts); },
    });
    // Imported orders run no order hooks: the channel ROI rollup is brought up to date for their months here.
    if (report.paidMonths) {
      const started = Date.now();
      await runInTransaction(this.deps.db, (m) => refreshRoiRollup(m, report.paidMonths!));
      this.deps.logger.info({ job: o.jobId, months: report.paidMonths.length, ms: Date.now() - started }, 'ROI rollup refreshed for the imported orders');
    }
    return report;
  }

  /**
   * Imports a file from disk (the command line): each sheet named after a kind (客户/clients,
   * 订单/orders, 施术/treatments, in that order), or the first sheet as `kind`. A dry run checks
   * every sheet, counting rows an earlier sheet would import as found.
   */
  async importFile(actor: Actor, open: Opener, o: FileImportOptions): Promise<Record<ImportKind, PassReport | null>> {
    const format = sniffFormat(await readHead(open));
    const kinds: ImportKind[] = o.kind ? [o.kind] : await this.kindsInFile(open, format);
    const pending = new Map<ImportKind, Set<string>>();
    const out: Record<ImportKind, PassReport | null> = { clients: null, orders: null, treatments: null };
    for (const kind of kinds) {
      const headers = await this.headersOf(open, format, o.kind ? null : kind);
      const mapping = o.mapping ?? guessMapping(kind, headers);
      const problems = mappingProblems(kind, mapping, headers);
      if (problems.length) {
        out[kind] = { rows: 0, counts: { created: 0, matched: 0, unchanged: 0, failed: 0 }, problems, problemCount: problems.length };
        continue;
      }
      let total = 0;
      out[kind] = await this.runPass(open, format, kind, {
        actor, jobId: null, sourceSystem: o.sourceSystem, headers, mapping, write: !o.dryRun, sheetByKind: !o.kind, pending,
        onTotal: (t) => { total = t; },
        onBatch: (done) => o.onProgress?.(kind, done, total),
      });
      if (o.dryRun) pending.set(kind, await this.sourceIds(open, format, o.kind ? null : kind, mapping));
    }
    return out;
  }

  private async kindsInFile(open: Opener, format: FileFormat): Promise<ImportKind[]> {
    if (format === 'csv') throw new AppError(ImportErrors.IMPORT_MAPPING_INVALID, 'A CSV holds one kind: say which (--kind clients|orders|treatments)', [{ field: 'kind', message: 'required for CSV' }]);
    const kinds = new Set((await sheetNames(open)).map(kindOfSheet).filter((k): k is ImportKind => k !== null));
    const ordered = (['clients', 'orders', 'treatments'] as const).filter((k) => kinds.has(k));
    if (!ordered.length) throw new AppError(ImportErrors.IMPORT_MAPPING_INVALID, 'No sheet is named 客户/clients, 订单/orders or 施术/treatments: say which kind (--kind)', [{ field: 'kind', message: 'no sheet names a kind' }]);
    return ordered;
  }

  private async sourceIds(open: Opener, format: FileFormat, kind: ImportKind | null, mapping: ColumnMapping): Promise<Set<string>> {
    const ids = new Set<string>();
    let header = true;
    for await (const row of readRows(open, format, kind)) {
      if (header) { header = false; continue; }
      const v = cellText(row.cells[mapping.sourceId] ?? null);
      if (v) ids.add(v);
    }
    return ids;
  }

  /**
   * Housekeeping (scheduler, every few minutes): a check or run whose heartbeat is older than
   * IMPORT_STALE_MS lost its process (a restart, a crash) and is marked failed — its file is kept, so
   * the director starts it again, and rows it already wrote come back as unchanged (idempotent by
   * source id). Stored uploads and problem reports of imports finished or abandoned more than
   * IMPORT_RETENTION_DAYS ago are deleted. Safe on several schedulers at once.
   */
  async sweep(now: Date): Promise<{ failed: number; purged: number }> {
    const stale = new Date(now.getTime() - IMPORT_STALE_MS);
    const dead: { affectedRows: number } = await this.deps.db.query(
      `UPDATE import_jobs SET status = 'failed', finished_at = ?
        WHERE status IN ('checking', 'running') AND COALESCE(heartbeat_at, created_at) < ?`,
      [now, stale],
    );
    if (dead.affectedRows) this.deps.logger.warn({ jobs: dead.affectedRows }, 'imports without a heartbeat marked failed');
    const cutoff = new Date(now.getTime() - IMPORT_RETENTION_DAYS * 86400_000);
    const old = "j.status IN ('uploaded', 'checked', 'failed', 'done') AND COALESCE(j.finished_at, j.created_at) < ?";
    const purged: { affectedRows: number } = await this.deps.db.query(`UPDATE import_jobs j SET j.report_enc = NULL WHERE ${old} AND j.report_enc IS NOT NULL`, [cutoff]);
    const files: { affectedRows: number } = await this.deps.db.query(`DELETE c FROM import_file_chunks c JOIN import_jobs j ON j.id = c.job_id WHERE ${old}`, [cutoff]);
    return { failed: Number(dead.affectedRows), purged: Number(purged.affectedRows) + Number(files.affectedRows) };
  }

  /** The header row of the sheet a kind reads; a file without one (or without data rows) is empty. */
  private async headersOf(open: Opener, format: FileFormat, kind: ImportKind | null): Promise<string[]> {
    let headers: string[] | null = null;
    let hasData = false;
    for await (const row of readRows(open, format, kind)) {
      if (!headers) {
        headers = row.cells.map((c) => cellText(c));
        continue;
      }
      if (row.cells.some((c) => cellText(c) !== '')) { hasData = true; break; }
    }
    if (!headers || !headers.some((h) => h)) throw new AppError(ImportErrors.IMPORT_FILE_EMPTY, 'The sheet has no header row', [{ field: 'file', message: 'no header row' }]);
    if (!hasData) throw new AppError(ImportErrors.IMPORT_FILE_EMPTY, 'The sheet has a header row but no rows', [{ field: 'file', message: 'no rows' }]);
    return headers;
  }

  private async storedFile(job: JobRow): Promise<Opener> {
    const rows: { seq: number; data_enc: Buffer }[] = await this.deps.db.query('SELECT seq, data_enc FROM import_file_chunks WHERE job_id = ? ORDER BY seq', [job.id]);
    if (!rows.length) throw new AppError(ImportErrors.IMPORT_FILE_EXPIRED, 'The file of this import is gone (imported, or past its retention)', [{ field: 'id', message: 'file removed' }]);
    const file = Buffer.concat(rows.map((r) => Buffer.from(this.deps.cipher.decrypt(r.data_enc, chunkAad(job.public_id, Number(r.seq))), 'base64')));
    return () => Readable.from([file]);
  }

  private async jobRow(jobPublicId: string): Promise<JobRow> {
    const [row]: JobRow[] = await this.deps.db.query('SELECT * FROM import_jobs WHERE public_id = ?', [jobPublicId]);
    if (!row) throw notFound('Import');
    return row;
  }

  private view(r: JobRow): ImportJobView {
    const report = r.report_enc ? JSON.parse(this.deps.cipher.decrypt(r.report_enc, reportAad(r.public_id))) as { problems: RowProblem[]; problemCount: number } : null;
    return {
      id: r.public_id, kind: r.kind, sourceSystem: r.source_system, filename: r.filename, format: r.format, status: r.status,
      headers: json(r.headers), mapping: json(r.mapping), fields: FIELDS[r.kind].map((f) => ({ key: f.key, label: f.label, required: f.required })),
      rowsTotal: r.rows_total === null ? null : Number(r.rows_total), rowsDone: Number(r.rows_done), counts: r.counts === null ? null : json(r.counts),
      problems: report?.problems ?? [], problemCount: report?.problemCount ?? 0, createdAt: r.created_at, finishedAt: r.finished_at,
    };
  }
}

function tooLarge(max: number): AppError {
  return new AppError(ImportErrors.IMPORT_FILE_TOO_LARGE, `The file is larger than ${Math.floor(max / 1024 / 1024)} MB: split it`, [{ field: 'file', message: `over ${max} bytes` }]);
}
