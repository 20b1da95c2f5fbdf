import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type Gender = 'unknown' | 'female' | 'male';
export type ClientStatus = 'active' | 'deleted';

/** Where a client came from: utm fields, mini-program scene, referral code, WeCom "contact me" state. */
export interface Touch {
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
  scene?: number | null;
  referralCode?: string | null;
  wecomState?: string | null;
  at: string;
}

/** The client archive's basic part. Name, phone and address are AES-GCM ciphertexts (see FieldCipher). */
@Entity({ name: 'clients' })
@Index('ix_clients_created', ['createdAt'])
export class Client {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_clients_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_clients_openid', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  openid!: string;

  @Index('uq_clients_unionid', { unique: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  unionid!: string | null;

  @Column({ name: 'name_enc', type: 'varbinary', length: 512, nullable: true })
  nameEnc!: Buffer | null;

  @Index('ix_clients_name_bidx')
  @Column({ name: 'name_bidx', type: 'char', length: 64, nullable: true })
  nameBidx!: string | null;

  @Column({ type: 'enum', enum: ['unknown', 'female', 'male'], default: 'unknown' })
  gender!: Gender;

  @Column({ name: 'birth_date', type: 'date', nullable: true })
  birthDate!: string | null;

  @Column({ name: 'phone_enc', type: 'varbinary', length: 255, nullable: true })
  phoneEnc!: Buffer | null;

  @Index('uq_clients_phone_bidx', { unique: true })
  @Column({ name: 'phone_bidx', type: 'char', length: 64, nullable: true })
  phoneBidx!: string | null;

  @Column({ name: 'address_enc', type: 'varbinary', length: 2048, nullable: true })
  addressEnc!: Buffer | null;

  @Index('uq_clients_referral_code', { unique: true })
  @Column({ name: 'referral_code', type: 'char', length: 8 })
  referralCode!: string;

  @Column({ name: 'referrer_id', type: 'int', unsigned: true, nullable: true })
  referrerId!: number | null;

  @Index('ix_clients_consultant')
  @Column({ name: 'consultant_id', type: 'int', unsigned: true, nullable: true })
  consultantId!: number | null;

  @Column({ type: 'varchar', length: 24, default: 'lead' })
  stage!: string;

  @Column({ type: 'enum', enum: ['active', 'deleted'], default: 'active' })
  status!: ClientStatus;

  @Column({ name: 'first_touch', type: 'json', nullable: true })
  firstTouch!: Touch | null;

  @Index('ix_clients_source_channel')
  @Column({ name: 'source_channel', type: 'varchar', length: 64, nullable: true })
  sourceChannel!: string | null;

  @Column({ name: 'last_login_at', type: 'datetime', precision: 3, nullable: true })
  lastLoginAt!: Date | null;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 3, nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** Every touch after the first (logins through a new campaign, share, scene) is kept, never overwriting the first. */
@Entity({ name: 'client_touches' })
@Index('ix_client_touches_client', ['clientId', 'createdAt'])
export class ClientTouch {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'enum', enum: ['first', 'login'] })
  kind!: 'first' | 'login';

  @Column({ name: 'utm_source', type: 'varchar', length: 64, nullable: true })
  utmSource!: string | null;

  @Column({ name: 'utm_medium', type: 'varchar', length: 64, nullable: true })
  utmMedium!: string | null;

  @Column({ name: 'utm_campaign', type: 'varchar', length: 128, nullable: true })
  utmCampaign!: string | null;

  @Column({ type: 'int', nullable: true })
  scene!: number | null;

  @Column({ name: 'referral_code', type: 'varchar', length: 32, nullable: true })
  referralCode!: string | null;

  @Column({ name: 'wecom_state', type: 'varchar', length: 64, nullable: true })
  wecomState!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}

export type ConsentPurpose = 'privacy' | 'health' | 'guardian';

/** Consent per purpose and policy version; withdrawal is a timestamp, the row stays as evidence. */
@Entity({ name: 'consents' })
@Index('ix_consents_client_purpose', ['clientId', 'purpose'])
export class Consent {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'public_id', type: 'char', length: 22 })
  @Index('uq_consents_public_id', { unique: true })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ type: 'enum', enum: ['privacy', 'health', 'guardian'] })
  purpose!: ConsentPurpose;

  @Column({ name: 'policy_version', type: 'varchar', length: 32 })
  policyVersion!: string;

  @Column({ name: 'guardian_name_enc', type: 'varbinary', length: 512, nullable: true })
  guardianNameEnc!: Buffer | null;

  @Column({ name: 'guardian_relation', type: 'varchar', length: 16, nullable: true })
  guardianRelation!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: 'granted_at', type: 'datetime', precision: 3 })
  grantedAt!: Date;

  @Column({ name: 'withdrawn_at', type: 'datetime', precision: 3, nullable: true })
  withdrawnAt!: Date | null;
}

/** Medical history, one row per client; every field is ciphertext. Doctors and the director only. */
@Entity({ name: 'medical_records' })
export class MedicalRecord {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'allergies_enc', type: 'blob', nullable: true })
  allergiesEnc!: Buffer | null;

  @Column({ name: 'medications_enc', type: 'blob', nullable: true })
  medicationsEnc!: Buffer | null;

  @Column({ name: 'past_procedures_enc', type: 'blob', nullable: true })
  pastProceduresEnc!: Buffer | null;

  @Column({ name: 'conditions_enc', type: 'blob', nullable: true })
  conditionsEnc!: Buffer | null;

  @Column({ name: 'updated_by_type', type: 'enum', enum: ['client', 'staff'] })
  updatedByType!: 'client' | 'staff';

  @Column({ name: 'updated_by_id', type: 'int', unsigned: true })
  updatedById!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** A client's export of their own data (PIPL): an encrypted snapshot they can fetch by id for a day. */
@Entity({ name: 'data_exports' })
export class DataExport {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_data_exports_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('ix_data_exports_client')
  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'payload_enc', type: 'mediumblob' })
  payloadEnc!: Buffer;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Index('ix_data_exports_expires')
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;
}
