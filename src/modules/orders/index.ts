export type { OrderAttribution, OrderHooks, OrderRefundEvent, PaidOrder } from './orders.hooks';
export { OrdersService, refundReasonAad } from './orders.service';
export type {
  OrdersDeps, ProjectInput, ProjectPatch, ProjectView, RecordOrderInput, RecordOrderResult, OrderView, RefundView, RefundResult, OrderListQuery, StaffRef, PayableOrder,
} from './orders.service';
export { OrderErrors } from './orders.errors';
export { registerOrderRoutes } from './orders.routes';
export * from './orders.entity';
export { OrderImports } from './orders.import';
export type { ImportedOrder, ProjectRef } from './orders.import';
export { OrderExports } from './orders.export';
export type { OrderExportQuery } from './orders.export';
export { netPaidByClientBetween, firstPaymentsBetween, paidBefore, doctorsOfOrders } from './orders.performance';
