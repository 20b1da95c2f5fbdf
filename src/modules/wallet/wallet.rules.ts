/**
 * The stored value a refund gives back, as a running total over the order's refunds: a full refund
 * or void gives back everything stored value paid; a partial one floor(paid × refunded ÷ order
 * amount), so the fen a fraction leaves goes back with the cash part, and partial refunds add up
 * exactly to a full one. Pure.
 */
export function refundShareFen(paidFromStoredValueFen: number, orderFen: number, refundedTotalFen: number, full: boolean): number {
  if (full || refundedTotalFen >= orderFen) return paidFromStoredValueFen;
  if (orderFen <= 0 || refundedTotalFen <= 0) return 0;
  return Math.floor((paidFromStoredValueFen * refundedTotalFen) / orderFen);
}
