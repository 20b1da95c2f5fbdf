export { WalletService, STORED_VALUE_RULE } from './wallet.service';
export type {
  WalletDeps, WalletOrders, StoredValuePayment, StoredValuePaymentHook, StoredValueVoucherIssuer, WalletWrite, WalletWriteResult, WalletEntryView, ClawbackResult, ClientWalletLine, WalletConsistencyReport,
} from './wallet.service';
export { WalletErrors } from './wallet.errors';
export { refundShareFen } from './wallet.rules';
export { registerWalletRoutes } from './wallet.routes';
export * from './wallet.entity';
