export { ContactsService, BOT_ACTOR, inboundAad, contactNameAad } from './contacts.service';
export type { ContactsDeps, SeenContact, CodeBindOutcome, BindingCodeView, ContactView, InboundInput, InboundView } from './contacts.service';
export { ContactErrors } from './contacts.errors';
export { registerContactRoutes } from './contacts.routes';
export * from './contacts.entity';
