import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SpendCategory } from '../points';

export const PROJECT_CATEGORIES = ['skin', 'light', 'surgery'] as const;
/** Follow-up plans the care module knows; null on a project means "the plan of its category". */
export const FOLLOWUP_PLANS = ['surgery', 'light', 'skin'] as const;
export type FollowupPlan = (typeof FOLLOWUP_PLANS)[number];
export const ORDER_STATUSES = ['paid', 'partially_refunded', 'refunded', 'voided'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type RefundKind = 'refund' | 'void';

/** 项目目录: what the clinic sells (DOMAIN.md, categories of service); drives points, follow-ups and repurchase reminders. */
@Entity({ name: 'projects' })
export class Project {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_projects_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  /** Short stable slug ('rhinoplasty'); never changes once created. */
  @Index('uq_projects_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'enum', enum: PROJECT_CATEGORIES })
  category!: SpendCategory;

  @Column({ name: 'list_price_fen', type: 'int', unsigned: true })
  listPriceFen!: number;

  @Column({ name: 'body_area', type: 'varchar', length: 24 })
  bodyArea!: string;

  /** How long the effect lasts (e.g. hyaluronic acid ~180 days); the repurchase reminder comes a month before it ends. */
  @Column({ name: 'effect_duration_days', type: 'int', unsigned: true, nullable: true })
  effectDurationDays!: number | null;

  /** Days before the effect ends that the repurchase reminder comes; null: CARE_REPURCHASE_LEAD_DAYS. */
  @Column({ name: 'repurchase_lead_days', type: 'smallint', unsigned: true, nullable: true })
  repurchaseLeadDays!: number | null;

  @Column({ name: 'followup_plan', type: 'varchar', length: 24, nullable: true })
  followupPlan!: FollowupPlan | null;

  /** A course: each later session restarts the follow-up plan (else only the first session starts it). */
  @Column({ name: 'followup_each_session', type: 'tinyint', default: 0 })
  followupEachSession!: boolean;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  updatedAt!: Date;
}

/** A paid order, idempotent on the external order number; refunds move `amountRefundedFen` and `status`. */
@Entity({ name: 'orders' })
// Covers RFM's per-client figures (paid time, status, amounts) without reading the rows.
@Index('ix_orders_client', ['clientId', 'paidAt', 'status', 'amountPaidFen', 'amountRefundedFen'])
@Index('ix_orders_paid_at', ['paidAt'])
export class Order {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_orders_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('uq_orders_order_no', { unique: true })
  @Column({ name: 'order_no', type: 'varchar', length: 64 })
  orderNo!: string;

  /** SHA-256 of the order's content: a repeated order number replays only with the same content. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Index('ix_orders_doctor')
  @Column({ name: 'doctor_id', type: 'int', unsigned: true })
  doctorId!: number;

  @Column({ name: 'consultant_id', type: 'int', unsigned: true, nullable: true })
  consultantId!: number | null;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3 })
  paidAt!: Date;

  @Column({ name: 'amount_paid_fen', type: 'int', unsigned: true })
  amountPaidFen!: number;

  @Column({ name: 'amount_refunded_fen', type: 'int', unsigned: true, default: 0 })
  amountRefundedFen!: number;

  /** Spend points granted for this order (all categories); refunds take back their share of it. */
  @Column({ name: 'points_earned', type: 'int', unsigned: true, default: 0 })
  pointsEarned!: number;

  /** The channel of the newest touch before the payment (DOMAIN.md, channels and ROI: last-touch attribution), fixed when the order is recorded. */
  @Column({ name: 'last_touch_channel', type: 'varchar', length: 64, nullable: true })
  lastTouchChannel!: string | null;

  @Column({ type: 'enum', enum: ORDER_STATUSES, default: 'paid' })
  status!: OrderStatus;

  /** The staff member who recorded it; null when the system did (e.g. an import). */
  @Column({ name: 'recorded_by', type: 'int', unsigned: true, nullable: true })
  recordedBy!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** One project of an order with what was paid for it; the category is kept as it was when paid. */
@Entity({ name: 'order_items' })
export class OrderItem {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('ix_order_items_order')
  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  @Index('ix_order_items_project')
  @Column({ name: 'project_id', type: 'int', unsigned: true })
  projectId!: number;

  @Column({ type: 'enum', enum: PROJECT_CATEGORIES })
  category!: SpendCategory;

  @Column({ name: 'amount_fen', type: 'int', unsigned: true })
  amountFen!: number;
}

/** A refund (partial or whole) or the void of an order; idempotent on `refundNo`. */
@Entity({ name: 'order_refunds' })
export class OrderRefund {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_order_refunds_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Index('ix_order_refunds_order')
  @Column({ name: 'order_id', type: 'int', unsigned: true })
  orderId!: number;

  /** The caller's refund number; a void uses `void:<order publicId>`, so an order is voided once. */
  @Index('uq_order_refunds_refund_no', { unique: true })
  @Column({ name: 'refund_no', type: 'varchar', length: 64 })
  refundNo!: string;

  @Column({ type: 'enum', enum: ['refund', 'void'] })
  kind!: RefundKind;

  @Column({ name: 'amount_fen', type: 'int', unsigned: true })
  amountFen!: number;

  /** Encrypted (AAD: the refund's public id); null once the client's account is deleted. */
  @Column({ name: 'reason_enc', type: 'varbinary', length: 1024, nullable: true })
  reasonEnc!: Buffer | null;

  /** Spend points taken back for this refund. */
  @Column({ name: 'points_debited', type: 'int', unsigned: true, default: 0 })
  pointsDebited!: number;

  /** Spend points that were due back but already spent or expired: recorded, never pushed below zero. */
  @Column({ name: 'points_shortfall', type: 'int', unsigned: true, default: 0 })
  pointsShortfall!: number;

  /** The staff member who recorded it; null when the system did (e.g. an import). */
  @Column({ name: 'recorded_by', type: 'int', unsigned: true, nullable: true })
  recordedBy!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
