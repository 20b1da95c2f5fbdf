import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { WalletService } from './wallet.service';
import {
  clientWalletResponse, consistencyResponse, convertBody, convertResponse, idParams, pageQuery, payBody, payResponse, staffWalletResponse,
} from './wallet.schema';

const MP = ['mini-program: stored value'];
const STAFF = ['staff: stored value'];
// Whoever takes payment at the front desk records it (as orders): consultants, customer service, the director.
const CASHIER = ['director', 'consultant', 'customer_service'] as const;

/** HTTP ↔ WalletService. Mini-program routes act on the logged-in client only. */
export function registerWalletRoutes(api: ApiRouter, s: { wallet: WalletService }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      {
        method: 'get', path: '/api/mp/wallet', summary: 'Own stored-value balance 储值 and ledger, newest first (referral cashback as monthly totals)',
        tags: MP, auth: 'client', query: pageQuery, response: clientWalletResponse,
      },
      ({ ctx, query }) => s.wallet.clientLedger(me(ctx), query.page, query.pageSize),
    )
    .add(
      {
        method: 'post', path: '/api/mp/wallet/vouchers', summary: 'Turn stored value into a voucher of equal value; retry-safe by requestId',
        tags: MP, auth: 'client', body: convertBody, status: 201, response: convertResponse, errors: ['WALLET_INSUFFICIENT', 'WALLET_REQUEST_REUSED'],
      },
      ({ ctx, body }) => s.wallet.convertToVoucher(actorFromContext(ctx), me(ctx), body.amountFen, body.requestId),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/wallet', summary: 'A client\'s stored-value balance and ledger (money scope; audited)',
        tags: STAFF, auth: 'staff', params: idParams, query: pageQuery, response: staffWalletResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => s.wallet.staffView(actorFromContext(ctx), params.id, query.page, query.pageSize),
    )
    .add(
      {
        method: 'post', path: '/api/staff/orders/:id/stored-value', summary: 'Record that stored value paid part of an order; retry-safe by requestId (audited)',
        tags: STAFF, auth: 'staff', roles: CASHIER, params: idParams, body: payBody, status: 201, response: payResponse,
        errors: ['NOT_FOUND', 'WALLET_INSUFFICIENT', 'WALLET_EXCEEDS_ORDER', 'WALLET_ORDER_REFUNDED', 'WALLET_REQUEST_REUSED'],
      },
      ({ ctx, params, body }) => s.wallet.payOrder(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/wallet/consistency', summary: 'Check every stored-value balance against its ledger (director)',
        tags: STAFF, auth: 'staff', roles: ['director'], response: consistencyResponse,
      },
      () => s.wallet.checkConsistency(),
    );
}
