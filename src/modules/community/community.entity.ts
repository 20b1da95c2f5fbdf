import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const POST_STATUSES = ['draft', 'pending_approval', 'approved', 'rejected', 'scheduled', 'sent', 'cancelled'] as const;
export type PostStatus = (typeof POST_STATUSES)[number];
export type ScheduleKind = 'once' | 'weekly';
export type DeliveryTargetKind = 'room_topic' | 'client';

/** Who a post is for: client groups by topic, or clients whose tags match (every dimension given, any of its values). */
export type PostAudience = { roomTopics: string[] } | { tags: Record<string, string[]> };

export interface PostCard {
  title: string;
  pagePath: string;
}

/** What the advertising-compliance check found: each category with the banned words it met. */
export interface ComplianceResult {
  compliant: boolean;
  violations: { category: string; words: string[] }[];
  checkedAt: string;
}

/**
 * 社群 "美丽学院" posts (DOMAIN.md, relationship upkeep): written by staff, checked against the banned
 * wording, approved, then sent once or weekly (Asia/Shanghai weekday and time) by the scheduler.
 * `approved` waits for its first time; a weekly post is `scheduled` after its first occurrence; a
 * one-time post is `sent` once its occurrence is queued.
 */
@Entity({ name: 'community_posts' })
@Index('ix_community_posts_status', ['status'])
export class CommunityPost {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_community_posts_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ type: 'varchar', length: 64 })
  title!: string;

  @Column({ type: 'varchar', length: 2000 })
  text!: string;

  @Column({ name: 'image_url', type: 'varchar', length: 500, nullable: true })
  imageUrl!: string | null;

  @Column({ type: 'json', nullable: true })
  card!: PostCard | null;

  @Column({ type: 'json' })
  audience!: PostAudience;

  @Column({ name: 'schedule_kind', type: 'enum', enum: ['once', 'weekly'] })
  scheduleKind!: ScheduleKind;

  /** A one-time post: when it goes out. */
  @Column({ name: 'send_at', type: 'datetime', precision: 3, nullable: true })
  sendAt!: Date | null;

  /** A weekly post: ISO weekday (1 = Monday … 7 = Sunday) and HH:mm, Asia/Shanghai. */
  @Column({ type: 'tinyint', unsigned: true, nullable: true })
  weekday!: number | null;

  @Column({ name: 'time_of_day', type: 'char', length: 5, nullable: true })
  timeOfDay!: string | null;

  @Column({ type: 'enum', enum: POST_STATUSES, default: 'draft' })
  status!: PostStatus;

  /** The last compliance check (on submit and on approval). */
  @Column({ type: 'json', nullable: true })
  compliance!: ComplianceResult | null;

  /** Why an approver refused it. */
  @Column({ name: 'review_note', type: 'varchar', length: 500, nullable: true })
  reviewNote!: string | null;

  @Column({ name: 'created_by', type: 'int', unsigned: true })
  createdBy!: number;

  @Column({ name: 'submitted_at', type: 'datetime', precision: 3, nullable: true })
  submittedAt!: Date | null;

  @Column({ name: 'approved_by', type: 'int', unsigned: true, nullable: true })
  approvedBy!: number | null;

  @Column({ name: 'approved_at', type: 'datetime', precision: 3, nullable: true })
  approvedAt!: Date | null;

  /** Shanghai date of the newest occurrence queued; moved by a conditional UPDATE, so an occurrence is queued once. */
  @Column({ name: 'last_occurrence', type: 'date', nullable: true })
  lastOccurrence!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** Where one occurrence of a post went: a group topic or a client, with the outbox row that carries it. */
@Entity({ name: 'post_deliveries' })
@Index('uq_post_deliveries_target', ['postId', 'occurrence', 'targetKind', 'target'], { unique: true })
export class PostDelivery {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'post_id', type: 'int', unsigned: true })
  postId!: number;

  /** Shanghai calendar date of the occurrence. */
  @Column({ type: 'date' })
  occurrence!: string;

  @Column({ name: 'target_kind', type: 'enum', enum: ['room_topic', 'client'] })
  targetKind!: DeliveryTargetKind;

  /** The group topic, or the client's internal id. */
  @Column({ type: 'varchar', length: 64 })
  target!: string;

  @Index('ix_post_deliveries_client')
  @Column({ name: 'client_id', type: 'int', unsigned: true, nullable: true })
  clientId!: number | null;

  @Column({ name: 'outbox_key', type: 'varchar', length: 191 })
  outboxKey!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/**
 * Who changed a post and which fields: approval is a second pair of eyes, so whoever edited a post
 * (its author, or the director) does not approve it. Kept with the post; the audit log has them too.
 */
@Entity({ name: 'community_post_edits' })
@Index('ix_community_post_edits_post', ['postId', 'staffId'])
export class PostEdit {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'post_id', type: 'int', unsigned: true })
  postId!: number;

  @Column({ name: 'staff_id', type: 'int', unsigned: true })
  staffId!: number;

  /** The fields changed (names only; the content is the post's). */
  @Column({ type: 'json' })
  fields!: string[];

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
