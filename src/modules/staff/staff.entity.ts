import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

import { STAFF_ROLES, type StaffRole } from '../../shared/roles';

// The roles are shared (sessions and routes check them); the staff module still exports them.
export { STAFF_ROLES } from '../../shared/roles';
export type { StaffRole } from '../../shared/roles';

@Entity({ name: 'staff' })
export class Staff {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_staff_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_staff_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 64 })
  displayName!: string;

  @Column({ type: 'enum', enum: STAFF_ROLES })
  role!: StaffRole;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ name: 'failed_attempts', type: 'int', unsigned: true, default: 0 })
  failedAttempts!: number;

  @Column({ name: 'locked_until', type: 'datetime', precision: 3, nullable: true })
  lockedUntil!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** The TOTP secret (base32), encrypted with the field cipher; null while TOTP is off. */
  @Column({ name: 'totp_secret_enc', type: 'varbinary', length: 255, nullable: true, select: false })
  totpSecretEnc!: Buffer | null;

  /** A secret being enrolled, until a code from it is confirmed. */
  @Column({ name: 'totp_pending_enc', type: 'varbinary', length: 255, nullable: true, select: false })
  totpPendingEnc!: Buffer | null;

  @Column({ name: 'totp_enabled_at', type: 'datetime', precision: 3, nullable: true })
  totpEnabledAt!: Date | null;

  /** The last TOTP time step accepted: a code is good once. */
  @Column({ name: 'totp_last_step', type: 'bigint', unsigned: true, nullable: true, select: false })
  totpLastStep!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}
