import type { IncomingMessage } from 'node:http';
import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import { AppError, CommonErrors } from '../../shared/errors';
import { principalOf } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { WeComService } from './wecom.service';

const CALLBACK = ['WeCom callbacks'];
const STAFF = ['staff: WeCom sidebar'];
// WeCom's messages are small; a body larger than this is not WeCom's.
const CALLBACK_BODY_LIMIT = 64 * 1024;

const signedQuery = {
  msg_signature: Joi.string().pattern(/^[0-9a-f]{40}$/).required(),
  timestamp: Joi.string().pattern(/^\d{1,12}$/).required(),
  nonce: Joi.string().pattern(/^[A-Za-z0-9]{1,64}$/).required(),
};

const wayView = Joi.object({
  id: Joi.string(), kind: Joi.string(), state: Joi.string(), label: Joi.string().allow(null), channel: Joi.string().allow(null), campaign: Joi.string().allow(null),
  userids: Joi.array().items(Joi.string()), qrCode: Joi.string(), createdAt: Joi.date(), deletedAt: Joi.date().allow(null),
  counts: Joi.object({ adds: Joi.number(), bindings: Joi.number(), questionnaires: Joi.number(), plans: Joi.number(), paidOrders: Joi.number() }).optional().description('in the list only'),
});
const publicIdSchema = Joi.string().pattern(/^[A-Za-z0-9_-]{10,32}$/);
const WAY_STAFF = ['director', 'consultant'] as const;

const signature = Joi.object({ timestamp: Joi.number().integer(), nonceStr: Joi.string(), signature: Joi.string() });

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  // Already read (a JSON body the body parser took): nothing left, which is not WeCom's XML.
  if (req.readableEnded) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new AppError(CommonErrors.BODY_TOO_LARGE, 'The callback body is too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** HTTP ↔ WeComService: the callback URL (WeCom's XML, not JSON) and the sidebar's endpoints. */
export function registerWeComRoutes(api: ApiRouter, wecom: WeComService): void {
  api
    .add(
      {
        method: 'get', path: '/api/wecom/callback', summary: 'WeCom callback URL verification: answers the decrypted echostr',
        tags: CALLBACK, auth: 'none',
        query: Joi.object({ ...signedQuery, echostr: Joi.string().max(1024).required() }),
        errors: ['WECOM_CALLBACK_SIGNATURE_INVALID', 'WECOM_CALLBACK_STALE', 'WECOM_CALLBACK_MALFORMED', 'WECOM_OFFICIAL_OFF'],
      },
      ({ query, ctx }) => {
        ctx.type = 'text/plain';
        return wecom.verifyCallbackUrl(query);
      },
    )
    .add(
      {
        method: 'post', path: '/api/wecom/callback', summary: 'WeCom callback events (encrypted XML): recorded once, answered at once, processed later',
        tags: CALLBACK, auth: 'none', query: Joi.object(signedQuery),
        errors: ['WECOM_CALLBACK_SIGNATURE_INVALID', 'WECOM_CALLBACK_STALE', 'WECOM_CALLBACK_MALFORMED', 'WECOM_OFFICIAL_OFF', 'BODY_TOO_LARGE'],
      },
      async ({ query, ctx }) => {
        await wecom.receiveCallback(query, await readBody(ctx.req, CALLBACK_BODY_LIMIT));
        ctx.type = 'text/plain';
        return 'success';
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/wecom/jssdk-config', summary: 'ww.register config and agentConfig signatures for a sidebar page (its URL without #fragment)',
        tags: STAFF, auth: 'staff',
        query: Joi.object({ url: Joi.string().uri({ scheme: ['http', 'https'] }).max(2048).required() }),
        response: Joi.object({ corpId: Joi.string(), agentId: Joi.string(), config: signature, agentConfig: signature }),
        errors: ['WECOM_OFFICIAL_OFF', 'WECOM_UPSTREAM'],
      },
      ({ query }) => wecom.jssdkConfig(query.url),
    )
    .add(
      {
        method: 'get', path: '/api/staff/wecom/contacts/:externalUserId/client', summary: 'The client behind the external contact open in the sidebar (404 when unknown or not yours; audited)',
        tags: STAFF, auth: 'staff',
        params: Joi.object({ externalUserId: Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/).required() }),
        response: Joi.object({ clientId: Joi.string() }),
        errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => wecom.clientOfExternalContact(actorFromContext(ctx), params.externalUserId),
    )
    .add(
      {
        method: 'put', path: '/api/staff/wecom/staff-users/:userid', summary: 'Which staff member a WeCom userid (成员 UserID) is',
        tags: STAFF, auth: 'staff', roles: ['director'],
        params: Joi.object({ userid: Joi.string().pattern(/^[A-Za-z0-9_.@-]{1,64}$/).required() }),
        body: Joi.object({ staffId: publicIdSchema.required() }),
        response: Joi.object({ userid: Joi.string(), staffId: Joi.string() }), errors: ['NOT_FOUND'],
      },
      ({ params, body }) => wecom.linkStaffUserByPublicId(params.userid, body.staffId),
    )
    .add(
      {
        method: 'post', path: '/api/staff/wecom/contact-ways', summary: 'A contact-me QR code for one or several staff members and a channel or campaign',
        tags: STAFF, auth: 'staff', roles: WAY_STAFF, status: 201,
        body: Joi.object({
          label: Joi.string().trim().min(1).max(100).required(),
          channel: Joi.string().pattern(/^[A-Za-z0-9_.-]{1,64}$/).required(),
          campaign: Joi.string().max(128).allow(null),
          staffIds: Joi.array().items(publicIdSchema).min(1).max(100).unique().required(),
        }),
        response: wayView, errors: ['VALIDATION_FAILED', 'WECOM_UPSTREAM', 'WECOM_OFFICIAL_OFF'],
      },
      ({ ctx, body }) => wecom.contactWaysOrOff().create(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/wecom/contact-ways', summary: 'Contact-me codes with what each brought: adds, bindings, questionnaires, plans, paid orders',
        tags: STAFF, auth: 'staff', roles: WAY_STAFF, response: Joi.object({ items: Joi.array().items(wayView) }),
      },
      async () => ({ items: await wecom.contactWays.list() }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/wecom/contact-ways/:id/qr', summary: 'The QR image of a contact-me code, as WeCom made it (to show and download)',
        tags: STAFF, auth: 'staff', roles: WAY_STAFF, params: Joi.object({ id: publicIdSchema.required() }), files: ['image/png', 'image/jpeg'],
        errors: ['NOT_FOUND', 'WECOM_UPSTREAM', 'WECOM_OFFICIAL_OFF'],
      },
      async ({ ctx, params }) => {
        const image = await wecom.contactWaysOrOff().qrImage(params.id);
        ctx.type = image.contentType;
        ctx.attachment(image.filename, { type: 'inline' });
        return image.body;
      },
    )
    .add(
      {
        method: 'delete', path: '/api/staff/wecom/contact-ways/:id', summary: 'Delete a contact-me code (at WeCom too)',
        tags: STAFF, auth: 'staff', roles: ['director'], params: Joi.object({ id: publicIdSchema.required() }), errors: ['NOT_FOUND', 'WECOM_UPSTREAM'],
      },
      async ({ params }) => { await wecom.contactWaysOrOff().remove(params.id); },
    )
    .add(
      {
        method: 'get', path: '/api/mp/wecom/contact-way', summary: 'One tap to add the own consultant in WeCom: a contact-me code that links the chat to this client',
        tags: ['mini-program: WeCom'], auth: 'client',
        response: Joi.object({ qrCode: Joi.string(), configId: Joi.string(), state: Joi.string() }),
        errors: ['WECOM_NO_CONSULTANT', 'WECOM_UPSTREAM', 'WECOM_OFFICIAL_OFF'],
      },
      ({ ctx }) => wecom.contactWaysOrOff().forClient(principalOf(ctx, 'client').clientId),
    );
}
