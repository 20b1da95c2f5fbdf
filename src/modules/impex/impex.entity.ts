import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const IMPORT_STATUSES = ['uploaded', 'checking', 'checked', 'running', 'done', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/**
 * One uploaded spreadsheet and what became of it: its column mapping, the last dry run's or real
 * run's counts, progress (rows done of total) and the problem report (encrypted: reasons quote cells).
 */
@Entity({ name: 'import_jobs' })
@Index('ix_import_jobs_status', ['status', 'heartbeatAt'])
export class ImportJob {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_import_jobs_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ type: 'enum', enum: ['clients', 'orders', 'treatments'] })
  kind!: 'clients' | 'orders' | 'treatments';

  @Column({ name: 'source_system', type: 'varchar', length: 32 })
  sourceSystem!: string;

  @Column({ type: 'varchar', length: 255 })
  filename!: string;

  @Column({ type: 'enum', enum: ['xlsx', 'csv'] })
  format!: 'xlsx' | 'csv';

  @Column({ name: 'size_bytes', type: 'int', unsigned: true })
  sizeBytes!: number;

  @Column({ type: 'enum', enum: IMPORT_STATUSES, default: 'uploaded' })
  status!: ImportStatus;

  @Column({ type: 'json' })
  headers!: string[];

  @Column({ type: 'json' })
  mapping!: Record<string, number>;

  @Column({ name: 'rows_total', type: 'int', unsigned: true, nullable: true })
  rowsTotal!: number | null;

  @Column({ name: 'rows_done', type: 'int', unsigned: true, default: 0 })
  rowsDone!: number;

  /** Counts of the last dry run or real run: created, matched, unchanged, failed. */
  @Column({ type: 'json', nullable: true })
  counts!: Record<string, number> | null;

  @Column({ name: 'report_enc', type: 'mediumblob', nullable: true })
  reportEnc!: Buffer | null;

  @Column({ name: 'created_by', type: 'int', unsigned: true })
  createdBy!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  /** Stamped by the process running a dry run or real run while it works; stale means that process died. */
  @Column({ name: 'heartbeat_at', type: 'datetime', precision: 3, nullable: true })
  heartbeatAt!: Date | null;
}

/** The uploaded file, encrypted in chunks (it holds names and phones) until its run is done. */
@Entity({ name: 'import_file_chunks' })
export class ImportFileChunk {
  @PrimaryColumn({ name: 'job_id', type: 'int', unsigned: true })
  jobId!: number;

  @PrimaryColumn({ type: 'int', unsigned: true })
  seq!: number;

  @Column({ name: 'data_enc', type: 'mediumblob' })
  dataEnc!: Buffer;
}

/** Idempotency: which of our rows a source system's record became (a second import of it changes nothing). */
@Entity({ name: 'import_links' })
@Index('ix_import_links_target', ['kind', 'targetId'])
export class ImportLink {
  @PrimaryColumn({ name: 'source_system', type: 'varchar', length: 32 })
  sourceSystem!: string;

  @PrimaryColumn({ type: 'enum', enum: ['clients', 'orders', 'treatments'] })
  kind!: 'clients' | 'orders' | 'treatments';

  @PrimaryColumn({ name: 'source_id', type: 'varchar', length: 64 })
  sourceId!: string;

  @Column({ name: 'target_id', type: 'int', unsigned: true })
  targetId!: number;

  @Column({ name: 'job_id', type: 'int', unsigned: true, nullable: true })
  jobId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
