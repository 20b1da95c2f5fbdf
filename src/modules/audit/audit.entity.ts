import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ActorType = 'staff' | 'client' | 'system';

/**
 * 操作日志: append-only and hash-chained (each row's link, with its hashes, is a row of `audit_chain`,
 * written by the chainer: audit.chainer.ts). The product has no update or delete path for these rows (DOMAIN.md).
 */
@Entity({ name: 'audit_log' })
@Index('ix_audit_client_at', ['clientId', 'at'])
@Index('ix_audit_actor_at', ['actorType', 'actorId', 'at'])
export class AuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Index('ix_audit_at')
  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ name: 'actor_type', type: 'enum', enum: ['staff', 'client', 'system'] })
  actorType!: ActorType;

  @Column({ name: 'actor_id', type: 'int', unsigned: true, nullable: true })
  actorId!: number | null;

  @Column({ name: 'actor_role', type: 'varchar', length: 24, nullable: true })
  actorRole!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  @Column({ type: 'boolean' })
  allowed!: boolean;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true })
  requestId!: string | null;

  @Column({ type: 'json', nullable: true })
  details!: Record<string, unknown> | null;
}
