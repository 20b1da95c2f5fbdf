import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { ContactsService } from './contacts.service';
import { actorFromContext } from '../audit';
import {
  bindBody, bindingCodeResponse, contactParams, contactsQuery, contactsResponse, contactView, idParams, messagesResponse, pageQuery, sendBody, sendResponse,
} from './contacts.schema';

const MP = ['mini-program: WeCom'];
const STAFF = ['staff: WeCom contacts'];
// Consultants look after their clients' WeCom chats; the director oversees all of them.
const CHAT_STAFF = ['consultant', 'director'] as const;

/** HTTP ↔ ContactsService. */
export function registerContactRoutes(api: ApiRouter, s: { contacts: ContactsService }): void {
  api
    .add(
      {
        method: 'get', path: '/api/mp/wecom/binding-code', summary: 'Own code to send in the WeCom chat to link it (valid for hours; the same code until it expires)',
        tags: MP, auth: 'client', response: bindingCodeResponse,
      },
      async ({ ctx }) => {
        const view = await s.contacts.bindingCode(principalOf(ctx, 'client').clientId);
        return { ...view, instructions: `在企业微信对话中发送「绑定 ${view.code}」即可完成绑定` };
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/wecom/contacts', summary: 'WeCom contacts: bound=false lists those not linked to a client (audited)',
        tags: STAFF, auth: 'staff', roles: CHAT_STAFF, query: contactsQuery, response: contactsResponse,
      },
      ({ ctx, query }) => s.contacts.listForStaff(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'post', path: '/api/staff/wecom/contacts/:contactId/bind', summary: 'Link a WeCom contact to a client by hand (consultant: own clients; audited)',
        tags: STAFF, auth: 'staff', roles: CHAT_STAFF, params: contactParams, body: bindBody, response: contactView,
        errors: ['NOT_FOUND', 'CONTACT_ALREADY_BOUND', 'CLIENT_ALREADY_BOUND'],
      },
      ({ ctx, params, body }) => s.contacts.bindByStaff(actorFromContext(ctx), params.contactId, body.clientId),
    )
    .add(
      {
        method: 'post', path: '/api/staff/wecom/contacts/:contactId/unbind', summary: 'Unlink a WeCom contact; it is not matched automatically again (audited)',
        tags: STAFF, auth: 'staff', roles: CHAT_STAFF, params: contactParams, response: contactView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => s.contacts.unbindByStaff(actorFromContext(ctx), params.contactId),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/messages', summary: 'What the client wrote in the WeCom chat, newest first (consultant: own clients; audited)',
        tags: STAFF, auth: 'staff', roles: CHAT_STAFF, params: idParams, query: pageQuery, response: messagesResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => s.contacts.messagesForStaff(actorFromContext(ctx), params.id, query.page, query.pageSize),
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/send',
        summary: 'Send the client the intent questionnaire or their WeCom binding code (once per client, purpose and day; consultant: own clients; audited)',
        tags: STAFF, auth: 'staff', roles: CHAT_STAFF, params: idParams, body: sendBody, response: sendResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, body }) => s.contacts.sendToClient(actorFromContext(ctx), params.id, body.what),
    );
}
