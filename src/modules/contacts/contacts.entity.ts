import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** How a contact came to be linked to a client. */
export type BoundBy = 'code' | 'match' | 'staff';

/**
 * A WeCom external contact 外部联系人 the bot has seen, and the client it is linked to (at most one
 * contact per client, one client per contact). The name is personal data: ciphertext only.
 */
@Entity({ name: 'wecom_contacts' })
@Index('ix_wecom_contacts_seen', ['lastSeenAt'])
export class WeComContact {
  @PrimaryColumn({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId!: string;

  /** The WeCom account (bot) the contact belongs to. */
  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Index('uq_wecom_contacts_client', { unique: true })
  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  @Column({ name: 'name_enc', type: 'varbinary', length: 512, nullable: true })
  nameEnc!: Buffer | null;

  /** Off once staff unlinked the contact by hand: an automatic match must not undo their decision. */
  @Column({ name: 'auto_match', type: 'boolean', default: true })
  autoMatch!: boolean;

  @Column({ name: 'bound_by', type: 'enum', enum: ['code', 'match', 'staff'], nullable: true })
  boundBy!: BoundBy | null;

  @Column({ name: 'bound_by_staff_id', type: 'int', unsigned: true, nullable: true })
  boundByStaffId!: number | null;

  @Column({ name: 'bound_at', type: 'datetime', precision: 3, nullable: true })
  boundAt!: Date | null;

  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3 })
  lastSeenAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** The short code a client sees in the mini-program and sends in the WeCom chat to link the contact; one per client. */
@Entity({ name: 'wecom_binding_codes' })
export class BindingCode {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Index('uq_wecom_binding_codes_code', { unique: true })
  @Column({ type: 'char', length: 6 })
  code!: string;

  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** 'survey_reply': a 0–10 score sent in the chat; 'message': anything else, kept for the consultant. */
export type InboundKind = 'message' | 'survey_reply';

/**
 * A message a contact wrote to the bot. Chats may carry health information, so the text is
 * ciphertext. `message_id` is the puppet's id: a message delivered twice is stored once.
 */
@Entity({ name: 'inbound_messages' })
@Index('ix_inbound_messages_client', ['clientId', 'id'])
@Index('ix_inbound_messages_contact', ['contactId', 'id'])
@Index('ix_inbound_messages_kind', ['kind', 'receivedAt'])
export class InboundMessage {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Index('uq_inbound_messages_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_inbound_messages_message', { unique: true })
  @Column({ name: 'message_id', type: 'varchar', length: 128 })
  messageId!: string;

  @Column({ name: 'account_id', type: 'varchar', length: 64 })
  accountId!: string;

  @Column({ name: 'contact_id', type: 'varchar', length: 64 })
  contactId!: string;

  /** Filled when the contact is (or later becomes) linked to a client. */
  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  @Column({ type: 'enum', enum: ['message', 'survey_reply'] })
  kind!: InboundKind;

  /** 'text', 'image', 'voice' … (the puppet's message type). */
  @Column({ name: 'msg_type', type: 'varchar', length: 16 })
  msgType!: string;

  @Column({ name: 'text_enc', type: 'blob', nullable: true })
  textEnc!: Buffer | null;

  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  score!: number | null;

  /** When the contact sent it (the puppet's timestamp). */
  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}
