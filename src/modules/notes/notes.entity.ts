import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const NOTE_KINDS = ['note', 'call', 'visit', 'wechat'] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

/**
 * A staff note on a client 沟通记录: a remark or the record of a call, visit or chat. The text is
 * personal data (it may describe the person and what they said): AES-GCM ciphertext bound to the
 * note's public id, never in a log line, erased with the client's account.
 */
@Entity({ name: 'client_notes' })
@Index('ix_client_notes_client', ['clientId', 'id'])
export class ClientNote {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_client_notes_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'staff_id', type: 'int', unsigned: true })
  staffId!: number;

  @Column({ type: 'enum', enum: NOTE_KINDS, default: 'note' })
  kind!: NoteKind;

  @Column({ name: 'body_enc', type: 'varbinary', length: 8192 })
  bodyEnc!: Buffer;

  @Column({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}
