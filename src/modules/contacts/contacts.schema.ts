import Joi from 'joi';
import { idParams, pageKeys, pageQuery, publicIdParam, type Paging } from '../../shared/http/schemas';
import { STAFF_SENDS } from './contacts.service';
export { idParams, pageQuery };

// Puppet contact ids differ by puppet (WeCom external user ids, wxid_…, cuids): a safe, bounded shape.
const contactIdParam = Joi.string().pattern(/^[A-Za-z0-9@._:-]{1,64}$/).required().messages({ 'string.pattern.base': '{{#label}} is not a valid contact id' });

export const contactParams = Joi.object<{ contactId: string }>({ contactId: contactIdParam });
export const contactsQuery = Joi.object<Paging & { bound?: boolean }>({ ...pageKeys, bound: Joi.boolean().description('false: only unlinked contacts; true: only linked ones') });
export const bindBody = Joi.object<{ clientId: string }>({ clientId: publicIdParam }).required();

export const bindingCodeResponse = Joi.object({
  code: Joi.string(),
  expiresAt: Joi.date(),
  bound: Joi.boolean(),
  instructions: Joi.string(),
});
export const contactView = Joi.object({
  contactId: Joi.string(),
  accountId: Joi.string(),
  name: Joi.string().allow(null, ''),
  client: Joi.object({ id: Joi.string(), name: Joi.string().allow(null, '') }).allow(null),
  boundBy: Joi.string().valid('code', 'match', 'staff').allow(null),
  boundAt: Joi.date().allow(null),
  autoMatch: Joi.boolean(),
  lastSeenAt: Joi.date(),
});
export const contactsResponse = Joi.object({ items: Joi.array().items(contactView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const messagesResponse = Joi.object({
  items: Joi.array().items(Joi.object({
    id: Joi.string(),
    kind: Joi.string().valid('message', 'survey_reply'),
    type: Joi.string(),
    text: Joi.string().allow(null, ''),
    score: Joi.number().integer().allow(null),
    receivedAt: Joi.date(),
  })),
  page: Joi.number().integer(),
  hasMore: Joi.boolean(),
});

/** What the sidebar sends a client (see ContactsService.sendToClient). */
export const sendBody = Joi.object<{ what: (typeof STAFF_SENDS)[number] }>({ what: Joi.string().valid(...STAFF_SENDS).required() }).required();
/** queued=false: the same was sent to this client today already. */
export const sendResponse = Joi.object({ queued: Joi.boolean() });
