import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type StaffTaskStatus = 'open' | 'done' | 'cancelled';

/**
 * Something a person on staff has to do: call a client whose message could not be delivered,
 * handle a complaint, a dormant-client callback … Written by any module through
 * WorklistService.create, once per dedupe key.
 */
@Entity({ name: 'staff_tasks' })
@Index('ix_staff_tasks_due', ['status', 'dueAt'])
@Index('ix_staff_tasks_role', ['assigneeRole', 'status', 'dueAt'])
@Index('ix_staff_tasks_assignee', ['assigneeId', 'status'])
export class StaffTask {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_staff_tasks_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  /** What kind of work: 'deliver_manually', 'delivery_failed', 'complaint' … (varchar: modules add kinds freely). */
  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Index('ix_staff_tasks_client')
  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  /** The role whose members all see the task; `assigneeId` narrows it to one person when set. */
  @Column({ name: 'assignee_role', type: 'varchar', length: 16 })
  assigneeRole!: string;

  @Column({ name: 'assignee_id', type: 'int', unsigned: true, nullable: true })
  assigneeId!: number | null;

  /** Title and details, encrypted (they quote follow-up texts naming the client and the procedure); null once erased. */
  @Column({ name: 'title_enc', type: 'blob', nullable: true })
  titleEnc!: Buffer | null;

  @Column({ name: 'details_enc', type: 'blob', nullable: true })
  detailsEnc!: Buffer | null;

  @Column({ name: 'due_at', type: 'datetime', precision: 3 })
  dueAt!: Date;

  @Column({ type: 'enum', enum: ['open', 'done', 'cancelled'], default: 'open' })
  status!: StaffTaskStatus;

  @Index('uq_staff_tasks_dedupe', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 191 })
  dedupeKey!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'done_at', type: 'datetime', precision: 3, nullable: true })
  doneAt!: Date | null;

  /** Staff id of who completed or cancelled it. */
  @Column({ name: 'done_by', type: 'int', unsigned: true, nullable: true })
  doneBy!: number | null;

  /** The completing staff member's note, encrypted. */
  @Column({ name: 'note_enc', type: 'blob', nullable: true })
  noteEnc!: Buffer | null;
}
