import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { RewardsService } from './rewards.service';
import { actorFromContext } from '../audit';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import type { VoucherExports } from './rewards.export';
import {
  catalogResponse, createItemBody, idParams, itemView, itemsResponse, pageQuery, redeemBody, redeemCodeBody, ruleCodeParams, staffVoucherView,
  updateItemBody, updateVoucherRuleBody, voucherExportQuery, voucherRuleView, voucherRulesResponse, voucherView, vouchersResponse, voucherCodeQuery,
} from './rewards.schema';

const MP = ['mini-program: rewards'];
const STAFF = ['staff: rewards'];
const DIRECTOR = ['director'] as const;
// 核销 at the front desk: customer service, consultants and the director.
const FRONT_DESK = ['customer_service', 'consultant', 'director'] as const;

/** HTTP ↔ RewardsService. */
export function registerRewardRoutes(api: ApiRouter, s: { rewards: RewardsService; voucherExports: VoucherExports }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      { method: 'get', path: '/api/mp/rewards', summary: 'Rewards a client can redeem now', tags: MP, auth: 'client', response: catalogResponse },
      async ({ ctx }) => ({ items: await s.rewards.catalog(me(ctx)) }),
    )
    .add(
      {
        method: 'post', path: '/api/mp/rewards/:id/redeem', summary: 'Redeem a reward with points; issues a voucher with a one-time code (retry-safe by requestId)',
        tags: MP, auth: 'client', params: idParams, body: redeemBody, status: 201, response: voucherView,
        errors: ['NOT_FOUND', 'POINTS_INSUFFICIENT', 'REWARD_OUT_OF_STOCK', 'REWARD_NOT_AVAILABLE', 'REWARD_LIMIT_REACHED', 'IDEMPOTENCY_KEY_REUSED'],
      },
      ({ ctx, params, body }) => s.rewards.redeem(me(ctx), params.id, body.requestId, actorFromContext(ctx)),
    )
    .add(
      { method: 'get', path: '/api/mp/vouchers', summary: 'Own vouchers, newest first', tags: MP, auth: 'client', query: pageQuery, response: vouchersResponse },
      ({ ctx, query }) => s.rewards.listVouchers(me(ctx), query.page, query.pageSize),
    )
    .add(
      { method: 'get', path: '/api/mp/vouchers/:id', summary: 'One own voucher', tags: MP, auth: 'client', params: idParams, response: voucherView, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => s.rewards.getVoucher(me(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/mp/vouchers/:id/cancel', summary: 'Cancel an unused own voucher; points and stock come back',
        tags: MP, auth: 'client', params: idParams, response: voucherView, errors: ['NOT_FOUND', 'VOUCHER_USED', 'VOUCHER_EXPIRED', 'VOUCHER_CANCELLED'],
      },
      ({ ctx, params }) => s.rewards.cancelByClient(me(ctx), params.id, actorFromContext(ctx)),
    )
    .add(
      { method: 'get', path: '/api/staff/rewards', summary: 'All reward items', tags: STAFF, auth: 'staff', response: itemsResponse },
      async () => ({ items: await s.rewards.listItems() }),
    )
    .add(
      {
        method: 'post', path: '/api/staff/rewards', summary: 'Create a reward item (director)', tags: STAFF, auth: 'staff', roles: DIRECTOR,
        body: createItemBody, status: 201, response: itemView, errors: ['REWARD_DATES_INVALID'],
      },
      ({ ctx, body }) => s.rewards.createItem(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/rewards/:id', summary: 'Change a reward item (director)', tags: STAFF, auth: 'staff', roles: DIRECTOR,
        params: idParams, body: updateItemBody, response: itemView, errors: ['NOT_FOUND', 'REWARD_DATES_INVALID'],
      },
      ({ ctx, params, body }) => s.rewards.updateItem(actorFromContext(ctx), params.id, body),
    )
    .add(
      { method: 'get', path: '/api/staff/voucher-rules', summary: 'What each rule gives (director)', tags: STAFF, auth: 'staff', roles: DIRECTOR, response: voucherRulesResponse },
      async () => ({ items: await s.rewards.listRules() }),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/voucher-rules/:code',
        summary: 'Change what a rule gives: vouchers issued afterwards follow it, those already issued keep theirs (director; audited)',
        tags: STAFF, auth: 'staff', roles: DIRECTOR, params: ruleCodeParams, body: updateVoucherRuleBody, response: voucherRuleView, errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => s.rewards.updateRule(actorFromContext(ctx), params.code, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/vouchers', summary: 'A client\'s vouchers, newest first (money scope: consultants their own clients; audited)',
        tags: STAFF, auth: 'staff', params: idParams, query: pageQuery, response: vouchersResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => s.rewards.clientVouchers(actorFromContext(ctx), params.id, query.page, query.pageSize),
    )
    .add(
      {
        method: 'get', path: '/api/staff/vouchers/lookup', summary: 'What a voucher code is for, whose it is and its state, before 核销 (audited)', tags: STAFF, auth: 'staff',
        roles: FRONT_DESK, query: voucherCodeQuery, response: staffVoucherView, errors: ['NOT_FOUND'],
      },
      ({ ctx, query }) => s.rewards.lookupByCode(actorFromContext(ctx), query.code),
    )
    .add(
      {
        method: 'get', path: '/api/staff/vouchers/export', summary: 'Vouchers as a file (CSV with BOM or xlsx): by client, status and source, within the role\'s money reach; no codes (audited)',
        tags: STAFF, auth: 'staff', roles: FRONT_DESK, query: voucherExportQuery, files: EXPORT_FILES, errors: ['NOT_FOUND'],
      },
      async ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, await s.voucherExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'post', path: '/api/staff/vouchers/redeem', summary: '核销: use a voucher by its code, once (a percent-off voucher needs the order amount)',
        tags: STAFF, auth: 'staff', roles: FRONT_DESK, body: redeemCodeBody, response: staffVoucherView,
        errors: ['NOT_FOUND', 'VALIDATION_FAILED', 'VOUCHER_USED', 'VOUCHER_EXPIRED', 'VOUCHER_CANCELLED', 'VOUCHER_NOT_YET_VALID', 'VOUCHER_NOT_FOR_PROJECT'],
      },
      ({ ctx, body }) => s.rewards.redeemByCode(actorFromContext(ctx), body.code, { orderAmountFen: body.orderAmountFen, projectId: body.projectId }),
    )
    .add(
      {
        method: 'post', path: '/api/staff/vouchers/:id/cancel', summary: 'Cancel an unused voucher; points and stock come back (audited)',
        tags: STAFF, auth: 'staff', roles: FRONT_DESK, params: idParams, response: voucherView,
        errors: ['NOT_FOUND', 'VOUCHER_USED', 'VOUCHER_EXPIRED', 'VOUCHER_CANCELLED'],
      },
      ({ ctx, params }) => s.rewards.cancelByStaff(actorFromContext(ctx), params.id),
    );
}
