import type { EntityManager } from 'typeorm';
import type { SpendCategory } from '../points';
/** A paid order as the hooks see it (referral rewards, follow-up plans). */
export interface PaidOrder {
  id: number;
  publicId: string;
  orderNo: string;
  clientId: number;
  doctorId: number;
  consultantId: number | null;
  amountPaidFen: number;
  paidAt: Date;
  items: { projectId: number; projectCode: string; category: SpendCategory; amountFen: number; effectDurationDays: number | null; followupPlan: string | null }[];
}
/** A refund or void recorded against an order. `refundedTotalFen` includes this one. */
export interface OrderRefundEvent {
  refundId: number;
  refundNo: string;
  amountFen: number;
  refundedTotalFen: number;
  /** True when nothing is left paid (full refund or void). */
  full: boolean;
  at: Date;
}
/** Called inside the order's transaction; a hook that throws rolls the whole order/refund back. */
export interface OrderHooks {
  onPaid?(m: EntityManager, order: PaidOrder): Promise<void>;
  onRefunded?(m: EntityManager, order: PaidOrder, refund: OrderRefundEvent): Promise<void>;
}
/** Names the channel a payment came through (the last touch before it); stored on the order for the channel ROI report. */
export interface OrderAttribution {
  lastTouchChannel(m: EntityManager, clientId: number, at: Date): Promise<string>;
}
