import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { DeliveryService } from './delivery.service';
import { subscriptionBody, subscriptionView, subscriptionsResponse } from './delivery.schema';

const MP = ['mini-program: subscriptions'];

/** HTTP ↔ DeliveryService: the one-time subscription credits a client grants in the mini-program. */
export function registerDeliveryRoutes(api: ApiRouter, s: { delivery: DeliveryService }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      {
        method: 'post', path: '/api/mp/subscriptions', summary: 'Report what wx.requestSubscribeMessage answered for a template (accept = one message allowed)',
        tags: MP, auth: 'client', body: subscriptionBody, response: subscriptionView, errors: ['SUBSCRIPTION_TEMPLATES_LIMIT'],
      },
      ({ ctx, body }) => s.delivery.recordSubscription(me(ctx), body.templateId, body.result),
    )
    .add(
      { method: 'get', path: '/api/mp/subscriptions', summary: 'Own subscription credits by template', tags: MP, auth: 'client', response: subscriptionsResponse },
      async ({ ctx }) => ({ items: await s.delivery.subscriptions(me(ctx)) }),
    );
}
