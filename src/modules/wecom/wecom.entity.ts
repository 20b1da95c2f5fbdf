import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type CallbackEventStatus = 'pending' | 'processing' | 'done' | 'skipped' | 'failed';

/**
 * A WeCom callback event, recorded once: `event_key` is a hash of the decrypted message's fields,
 * so WeCom's retries of the same event (it retries when no answer came within 5 s) are no-ops.
 * Processed from this table, never inside the HTTP answer. Holds identifiers, no personal data.
 */
@Entity({ name: 'wecom_callback_events' })
@Index('ix_wecom_callback_events_due', ['status', 'nextAttemptAt'])
@Index('ix_wecom_callback_events_received', ['receivedAt'])
export class WeComCallbackEvent {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Index('uq_wecom_callback_events_key', { unique: true })
  @Column({ name: 'event_key', type: 'char', length: 64 })
  eventKey!: string;

  @Column({ type: 'varchar', length: 64 })
  event!: string;

  @Column({ name: 'change_type', type: 'varchar', length: 64, nullable: true })
  changeType!: string | null;

  /** WeCom's CreateTime: the order events happened in (they may arrive in another). */
  @Column({ name: 'create_time', type: 'datetime', precision: 3 })
  createTime!: Date;

  @Column({ type: 'json' })
  fields!: Record<string, string>;

  @Column({ type: 'enum', enum: ['pending', 'processing', 'done', 'skipped', 'failed'], default: 'pending' })
  status!: CallbackEventStatus;

  @Column({ type: 'varchar', length: 64, nullable: true })
  outcome!: string | null;

  @Column({ type: 'smallint', unsigned: true, default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  /** The claim (one batch of one processor) the row belongs to while it is processed. */
  @Index('ix_wecom_callback_events_lease')
  @Column({ name: 'lease_id', type: 'char', length: 36, nullable: true })
  leaseId!: string | null;

  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError!: string | null;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'datetime', precision: 3, nullable: true })
  processedAt!: Date | null;
}

export type ExternalContactStatus = 'active' | 'deleted_by_staff' | 'deleted_by_client';

/** A staff member's relation with an external contact, as WeCom's events describe it. */
@Entity({ name: 'wecom_external_contacts' })
@Index('ix_wecom_external_contacts_client', ['clientId'])
@Index('ix_wecom_external_contacts_staff', ['staffId', 'status'])
@Index('ix_wecom_external_contacts_state', ['state'])
export class WeComExternalContact {
  @PrimaryColumn({ name: 'external_userid', type: 'varchar', length: 64 })
  externalUserId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  userid!: string;

  /** Null while the WeCom userid is not mapped to a staff member. */
  @Column({ name: 'staff_id', type: 'int', unsigned: true, nullable: true })
  staffId!: number | null;

  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  /** The contact-me code's state the client came through. */
  @Column({ type: 'varchar', length: 30, nullable: true })
  state!: string | null;

  @Column({ type: 'enum', enum: ['active', 'deleted_by_staff', 'deleted_by_client'] })
  status!: ExternalContactStatus;

  @Column({ name: 'added_at', type: 'datetime', precision: 3, nullable: true })
  addedAt!: Date | null;

  /** The channel of the contact-me code the client came through (its state's meaning). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  channel!: string | null;

  /** What became of the welcome message: sent, expired, not_needed, failed. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  welcome!: string | null;

  /** How the client was found: unionid, client_code (one-tap), staff. */
  @Column({ name: 'linked_by', type: 'varchar', length: 16, nullable: true })
  linkedBy!: string | null;

  /** CreateTime of the newest event applied: an older event arriving later changes nothing. */
  @Column({ name: 'last_event_at', type: 'datetime', precision: 3 })
  lastEventAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)', onUpdate: 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** Which WeCom userid (成员 UserID) is which staff member. */
@Entity({ name: 'wecom_staff_users' })
export class WeComStaffUser {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  userid!: string;

  @Index('uq_wecom_staff_users_staff', { unique: true })
  @Column({ name: 'staff_id', type: 'int', unsigned: true })
  staffId!: number;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}

/** A contact-me code 联系我 and what its state means: a channel or campaign, or one client's one-tap code. */
@Entity({ name: 'wecom_contact_ways' })
@Index('ix_wecom_contact_ways_client', ['clientId', 'deletedAt'])
@Index('ix_wecom_contact_ways_kind', ['kind', 'deletedAt', 'createdAt'])
export class WeComContactWay {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_wecom_contact_ways_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_wecom_contact_ways_config', { unique: true })
  @Column({ name: 'config_id', type: 'varchar', length: 64 })
  configId!: string;

  /** WeCom: at most 30 characters; comes back in the add event. */
  @Index('uq_wecom_contact_ways_state', { unique: true })
  @Column({ type: 'varchar', length: 30 })
  state!: string;

  @Column({ type: 'enum', enum: ['channel', 'client'] })
  kind!: 'channel' | 'client';

  @Column({ type: 'varchar', length: 100, nullable: true })
  label!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  channel!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  campaign!: string | null;

  @Column({ type: 'json' })
  userids!: string[];

  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  @Column({ name: 'qr_code', type: 'varchar', length: 512 })
  qrCode!: string;

  @Column({ name: 'created_by', type: 'int', unsigned: true, nullable: true })
  createdBy!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'used_at', type: 'datetime', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'deleted_at', type: 'datetime', precision: 3, nullable: true })
  deletedAt!: Date | null;
}

/** The corp's tag library as last read: a tag's id by its group and name (cleared when WeCom says the library changed). */
@Entity({ name: 'wecom_corp_tags' })
@Index('uq_wecom_corp_tags_name', ['corpId', 'groupName', 'tagName'], { unique: true })
export class WeComCorpTag {
  /** Tag ids are the corp's own: another corp (a new WECOM_CORP_ID) starts a library of its own. */
  @PrimaryColumn({ name: 'corp_id', type: 'varchar', length: 64 })
  corpId!: string;

  @PrimaryColumn({ name: 'tag_id', type: 'varchar', length: 64 })
  tagId!: string;

  @Column({ name: 'group_id', type: 'varchar', length: 64 })
  groupId!: string;

  @Column({ name: 'group_name', type: 'varchar', length: 64 })
  groupName!: string;

  @Column({ name: 'tag_name', type: 'varchar', length: 64 })
  tagName!: string;
}

export type SendTaskStatus = 'creating' | 'pending' | 'closed';

/**
 * A send task 群发任务 at WeCom (add_msg_template) a consultant confirms: 'creating' while WeCom's
 * answer is unknown (a timeout; found in the sender's list before anything is created again),
 * 'pending' until its deadline, 'closed' once its results are read for the last time.
 */
@Entity({ name: 'wecom_send_tasks' })
@Index('ix_wecom_send_tasks_due', ['status', 'checkedAt'])
export class WeComSendTask {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_wecom_send_tasks_msgid', { unique: true })
  @Column({ type: 'varchar', length: 64, nullable: true })
  msgid!: string | null;

  @Column({ type: 'varchar', length: 64 })
  userid!: string;

  /** SHA-256 of the text and card: how a task whose creation timed out is recognised in WeCom's list. */
  @Column({ name: 'content_hash', type: 'char', length: 64 })
  contentHash!: string;

  @Column({ type: 'enum', enum: ['creating', 'pending', 'closed'] })
  status!: SendTaskStatus;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'deadline_at', type: 'datetime', precision: 3 })
  deadlineAt!: Date;

  @Column({ name: 'checked_at', type: 'datetime', precision: 3, nullable: true })
  checkedAt!: Date | null;

  @Column({ name: 'closed_at', type: 'datetime', precision: 3, nullable: true })
  closedAt!: Date | null;
}

/** An outbox message carried by a send task, to one client's external contact. */
@Entity({ name: 'wecom_send_task_items' })
@Index('ix_wecom_send_task_items_task', ['taskId'])
@Index('ix_wecom_send_task_items_client', ['clientId', 'createdAt'])
export class WeComSendTaskItem {
  @PrimaryColumn({ name: 'outbox_id', type: 'bigint', unsigned: true })
  outboxId!: string;

  @Column({ name: 'task_id', type: 'int', unsigned: true })
  taskId!: number;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'external_userid', type: 'varchar', length: 64 })
  externalUserId!: string;

  @Column({ type: 'enum', enum: ['pending', 'sent', 'fallen_back'] })
  status!: 'pending' | 'sent' | 'fallen_back';

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
