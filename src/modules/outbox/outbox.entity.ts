import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';

/**
 * Something that must reach a person or WeCom (a follow-up, a survey link, a post, a tag change),
 * written in the same transaction as the event that causes it (DESIGN.md, where data lives). The
 * unique dedupe key makes a second row for the same purpose impossible.
 */
@Entity({ name: 'outbox_messages' })
@Index('ix_outbox_due', ['status', 'dueAt'])
export class OutboxMessage {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: string;

  @Index('uq_outbox_dedupe', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 191 })
  dedupeKey!: string;

  @Index('ix_outbox_client')
  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  /** The payload, encrypted (OutboxService seals and opens it); null once erased (account deleted). */
  @Column({ name: 'payload_enc', type: 'mediumblob', nullable: true })
  payloadEnc!: Buffer | null;

  @Column({ name: 'due_at', type: 'datetime', precision: 3 })
  dueAt!: Date;

  @Column({ type: 'enum', enum: ['pending', 'sending', 'sent', 'failed', 'cancelled'], default: 'pending' })
  status!: OutboxStatus;

  @Column({ type: 'int', unsigned: true, default: 0 })
  attempts!: number;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ type: 'varchar', length: 24, nullable: true })
  channel!: string | null;

  @Column({ name: 'sent_at', type: 'datetime', precision: 3, nullable: true })
  sentAt!: Date | null;

  /** The drain that holds the row while `sending` (delivery module); its results are recorded only under this token. */
  @Index('ix_outbox_claim')
  @Column({ name: 'claim_token', type: 'char', length: 22, nullable: true })
  claimToken!: string | null;

  /**
   * When the drain holding it began to send it (delivery module); null until then. A withdrawal
   * (OutboxService.cancelPending) still cancels a claimed row without it, never one with it.
   */
  @Column({ name: 'send_started_at', type: 'datetime', precision: 3, nullable: true })
  sendStartedAt!: Date | null;

  /** The WeCom account that sent it (send budgets are per account). */
  @Column({ name: 'account_id', type: 'varchar', length: 64, nullable: true })
  accountId!: string | null;

  /** Group posts: the rooms already posted to, so a retry or a budget pause never posts twice. */
  @Column({ name: 'sent_to', type: 'json', nullable: true })
  sentTo!: string[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}
