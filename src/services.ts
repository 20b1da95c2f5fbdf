import type { Deps } from './shared/deps';
import { FieldCipher } from './shared/crypto';
import { SessionStore } from './shared/sessions';
import { AuditExports, AuditService } from './modules/audit';
import { WeChatClient } from './integrations/wechat/wechat.client';
import type { WeChatApi } from './integrations/wechat/types';
import { WeComClient } from './integrations/wecom/wecom.client';
import type { WeComApi } from './integrations/wecom/types';
import { ClientExports, ClientsService } from './modules/clients';
import { StaffService } from './modules/staff';
import { MpAuthService } from './modules/auth';
import { PointsService } from './modules/points';
import { RewardsService, VoucherExports } from './modules/rewards';
import { OutboxService } from './modules/outbox';
import { TagsService } from './modules/tags';
import { JourneyService } from './modules/journey';
import { CaseExports, FeedbackService } from './modules/feedback';
import { CommunityService, PostExports } from './modules/community';
import { ContactsService } from './modules/contacts';
import { RfmService } from './modules/rfm';
import { CareService, TreatmentExports } from './modules/care';
import type { RecordTreatmentInput, TreatmentView } from './modules/care';
import type { Actor } from './modules/audit';
import type { EntityManager } from 'typeorm';
import { OrderExports, OrdersService } from './modules/orders';
import { ReferralsService } from './modules/referrals';
import { ConsultationsService } from './modules/consultations';
import { LeadExports, QuestionnairesService, submissionsAfter } from './modules/questionnaires';
import { WorkStream } from './modules/notifications';
import { TaskExports, WorklistService } from './modules/worklist';
import { DeliveryService } from './modules/delivery';
import { SchedulerRuns } from './scheduler/runs';
import { NotesService } from './modules/notes';
import { ClientActionLimits } from './shared/rate-limit';
import { WeComService } from './modules/wecom';
import { MarketingService } from './modules/marketing';
import { MonthlySummary, ReportExports, StaffPerformance } from './modules/reports';
import { WalletService } from './modules/wallet';
import { MariaDbPhotoStore, PhotosService } from './modules/photos';
import { ImpexService } from './modules/impex';

export type { Deps } from './shared/deps';

/** Every module service, built once per process; routes, the bot and the scheduler all call these. */
export interface Services {
  cipher: FieldCipher;
  sessions: SessionStore;
  audit: AuditService;
  wechat: WeChatApi;
  wecom: WeComApi;
  clients: ClientsService;
  staff: StaffService;
  mpAuth: MpAuthService;
  points: PointsService;
  rewards: RewardsService;
  outbox: OutboxService;
  tags: TagsService;
  journey: JourneyService;
  feedback: FeedbackService;
  community: CommunityService;
  contacts: ContactsService;
  rfm: RfmService;
  care: CareService;
  orders: OrdersService;
  referrals: ReferralsService;
  consultations: ConsultationsService;
  questionnaires: QuestionnairesService;
  worklist: WorklistService;
  delivery: DeliveryService;
  schedulerRuns: SchedulerRuns;
  notes: NotesService;
  /** Per-client and per-address limits of costly client actions (routes call it before the service). */
  limits: ClientActionLimits;
  /** WeCom's official API: callbacks, contact-me codes, the sidebar's signatures. */
  wecomOfficial: WeComService;
  /** Marketing spend per channel and the channel ROI report. */
  marketing: MarketingService;
  /** The director's monthly summary, pushed on the 1st. */
  monthlySummary: MonthlySummary;
  reportExports: ReportExports;
  staffPerformance: StaffPerformance;
  /** Stored value 储值: released referral cashback, spent on orders or turned into vouchers. */
  wallet: WalletService;
  /** Progress photos 术后对比照 of the effect-tracking steps. */
  photos: PhotosService;
  /** New tasks, cases and A-grade leads told to open workbenches (GET /api/staff/me/stream). */
  workStream: WorkStream;
  /** Spreadsheet imports of clients, orders and treatments. */
  impex: ImpexService;
  /** The client list as a file. */
  clientExports: ClientExports;
  /** The order list as a file. */
  orderExports: OrderExports;
  leadExports: LeadExports;
  taskExports: TaskExports;
  caseExports: CaseExports;
  treatmentExports: TreatmentExports;
  voucherExports: VoucherExports;
  postExports: PostExports;
  auditExports: AuditExports;
}

export function createServices(deps: Deps, overrides: Partial<Pick<Services, 'wechat' | 'wecom'>> = {}): Services {
  const { config, db, redis, clock, logger } = deps;
  const cipher = new FieldCipher(config.crypto.dataKeys, config.crypto.currentKeyVersion, config.crypto.blindIndexKeys);
  const outbox = new OutboxService({ db, clock, cipher });
  const tags = new TagsService({ db, outbox });
  const journey = new JourneyService({ db, clock, tags });
  const sessions = new SessionStore(redis, { clock, staffIdleSeconds: config.auth.staffSessionIdleMinutes * 60 });
  const audit = new AuditService(db, clock, logger.child({ module: 'audit' }));
  // Staff tasks come early: many modules create them.
  const worklist = new WorklistService({ db, clock, audit, cipher });
  const wechat = overrides.wechat ?? new WeChatClient(config.wechat, redis, logger.child({ module: 'wechat' }));
  const wecom = overrides.wecom ?? new WeComClient(config.wecom, redis, logger.child({ module: 'wecom' }));
  const clients = new ClientsService({ db, config, clock, cipher, audit, wechat, sessions, journey, logger: logger.child({ module: 'clients' }) });
  const staff = new StaffService({ db, config, clock, sessions, audit, redis, cipher });
  const points = new PointsService({ db, config, clock, audit, logger: logger.child({ module: 'points' }) });
  // The voucher engine comes early: the rules of several modules issue vouchers through it.
  const rewards = new RewardsService({ db, config, clock, audit, points });
  // Stored value before referrals (released cashback is credited to it) and orders (its refund hook); orders come later.
  let ordersRef: OrdersService | null = null;
  const wallet = new WalletService({
    db, clock, audit, orders: () => ordersRef!, vouchers: () => rewards, voucherValidDays: config.wallet.voucherValidDays, logger: logger.child({ module: 'wallet' }),
  });
  clients.addDataHooks(wallet.clientDataHooks);
  // Referrals before login (binding at first login) and before orders (its order hooks).
  const referrals = new ReferralsService({ db, redis, config, clock, cipher, points, wechat, clients, rewards, outbox, wallet, logger: logger.child({ module: 'referrals' }) });
  // Stored value a friend spends on an order is not new spend: the held referral reward's base drops it.
  wallet.addPaymentHook(referrals.storedValueHooks);
  // A deleted account keeps only keyed hashes of its WeChat identity and phone, so it is never a "new" referred client again.
  clients.addDataHooks(referrals.clientDataHooks);
  const limits = new ClientActionLimits(redis, config.rateLimits);
  const mpAuth = new MpAuthService({ db, redis, config, clock, wechat, sessions, clients, referrals, limits, logger: logger.child({ module: 'auth' }) });
  // Completing a procedure appointment records its treatment in the appointment's transaction (care is made below: called later).
  const treatments = { record: async (actor: Actor, input: RecordTreatmentInput, m: EntityManager): Promise<TreatmentView> => (await care.recordTreatment(actor, input, { manager: m })).treatment };
  const consultations = new ConsultationsService({ db, config, clock, cipher, audit, journey, outbox, clients, treatments, logger: logger.child({ module: 'consultations' }) });
  // A supervisor's compensation: a win-back voucher or a free review appointment.
  const feedback = new FeedbackService({ db, config, clock, cipher, audit, outbox, points, worklist, rewards, consultations, logger: logger.child({ module: 'feedback' }) });
  const care = new CareService({ db, config, clock, cipher, audit, outbox, journey, worklist, surveys: feedback, rewards, logger: logger.child({ module: 'care' }) });
  // A paid order pays the referral reward and schedules its follow-up plan, in the order's transaction.
  const marketing = new MarketingService({ db, clock, audit, channels: config.marketing.channels, logger: logger.child({ module: 'marketing' }) });
  // ... keeps the channel ROI rollup, with the payment's last-touch channel stored on the order, and gives back stored value a refund returns.
  const orders = new OrdersService({
    db, config, clock, cipher, audit, points, hooks: [referrals.orderHooks, care.orderHooks(), marketing.rollup.orderHooks, wallet.orderHooks], attribution: marketing,
    logger: logger.child({ module: 'orders' }),
  });
  ordersRef = orders;
  // The archive's visits and lifetime spend are the orders' figures.
  clients.setConsumptionSource((clientId) => orders.consumptionOf(clientId));
  const rfm = new RfmService({ db, config, clock, outbox, worklist, journey, tags, rewards, logger: logger.child({ module: 'rfm' }) });
  const contacts = new ContactsService({ db, config, clock, cipher, audit, outbox, tags, redis, logger: logger.child({ module: 'contacts' }) });
  // The WeCom link and chat messages are client data too (PIPL).
  clients.addDataHooks(contacts.clientDataHooks);
  const questionnaires = new QuestionnairesService({ db, clock, cipher, audit, clients, tags, journey, points, logger: logger.child({ module: 'questionnaires' }) });
  // Withdrawing the health consent, deleting the account and exporting reach the questionnaire answers too (PIPL).
  clients.addDataHooks(questionnaires.clientDataHooks);
  // Plans, letters and appointment notes are client data too (PIPL).
  clients.addDataHooks(consultations.clientDataHooks);
  // A survey invitation delivered over WeCom lets a digit replied in the chat answer it.
  // WeCom's official API is a delivery channel too (corporate tags, send tasks); it is built below.
  let wecomOfficial: WeComService | undefined;
  const delivery = new DeliveryService({
    db, redis, config, clock, wechat, outbox, worklist, contacts: () => contacts, tags, hooks: [feedback.deliveryHooks],
    official: () => wecomOfficial?.deliveryChannel(), logger: logger.child({ module: 'delivery' }),
  });
  // Survey comments and complaints are client data too (PIPL).
  clients.addDataHooks(feedback.clientDataHooks);
  const community = new CommunityService({ db, config, clock, audit, outbox, logger: logger.child({ module: 'community' }) });
  // What deletion must also erase: queued messages, tags, staff tasks and follow-up steps (PIPL).
  for (const m of [outbox, tags, worklist, care, orders]) clients.addDataHooks(m.clientDataHooks);
  const schedulerRuns = new SchedulerRuns({ db, clock });
  // Staff notes on a client are erased with the account and exported with it (PIPL).
  const notes = new NotesService({ db, clock, cipher, audit, clients, logger: logger.child({ module: 'notes' }) });
  clients.addDataHooks(notes.clientDataHooks);
  wecomOfficial = new WeComService({
    db, config, clock, redis, wecom, clientAccess: clients, botContacts: contacts, tags: () => tags, delivery: () => delivery, logger: logger.child({ module: 'wecom' }),
    workSources: () => ({
      tasks: (after) => worklist.createdAfter(after), cases: (after) => feedback.openedAfter(after), submissions: (after) => submissionsAfter(db, after),
      overdueCases: (since, now) => feedback.overdueSince(since, now), postsAwaitingApproval: () => community.awaitingApproval(), approverRoles: community.approverRoles,
    }),
  });
  // The WeCom contacts' links are client data too (PIPL).
  clients.addDataHooks(wecomOfficial.clientDataHooks);
  // Progress photos are health data: erased with the account and the health consent, exported with the account (PIPL).
  const photos = new PhotosService({
    db, clock, audit, store: new MariaDbPhotoStore(cipher), steps: care, consent: clients, maxBytes: config.care.photoMaxBytes, logger: logger.child({ module: 'photos' }),
  });
  clients.addDataHooks(photos.clientDataHooks);
  const monthlySummary = new MonthlySummary({ db, clock, marketing, notices: wecomOfficial.notices, logger: logger.child({ module: 'reports' }) });
  const staffPerformance = new StaffPerformance({ db, clock, audit, logger: logger.child({ module: 'reports' }) });
  const workStream = new WorkStream({
    pollMs: config.auth.staffStreamPollMs, logger: logger.child({ module: 'notifications' }),
    sources: { tasks: (after) => worklist.createdAfter(after), cases: (after) => feedback.openedAfter(after), submissions: (after) => submissionsAfter(db, after) },
  });
  const impex = new ImpexService({ db, config, clock, cipher, audit, care, logger: logger.child({ module: 'impex' }) });
  const clientExports = new ClientExports({ db, cipher, audit, logger: logger.child({ module: 'clients' }) });
  const orderExports = new OrderExports({ db, audit, logger: logger.child({ module: 'orders' }) });
  const taskExports = new TaskExports({ db, clock, audit, cipher, logger: logger.child({ module: 'worklist' }) });
  const caseExports = new CaseExports({ db, clock, audit, logger: logger.child({ module: 'feedback' }) });
  const auditExports = new AuditExports({ reader: staff, audit, logger: logger.child({ module: 'audit' }) });
  const postExports = new PostExports({ community, audit, logger: logger.child({ module: 'community' }) });
  const treatmentExports = new TreatmentExports({ db, audit, logger: logger.child({ module: 'care' }) });
  const voucherExports = new VoucherExports({ db, audit, logger: logger.child({ module: 'rewards' }) });
  const reportExports = new ReportExports({ consultations, feedback, rfm, points, referrals, audit, logger: logger.child({ module: 'reports' }) });
  const leadExports = new LeadExports({ db, clock, cipher, audit, clients, tags, journey, points, logger: logger.child({ module: 'questionnaires' }) });
  return {
    clientExports, orderExports, leadExports, taskExports, caseExports, treatmentExports, voucherExports, postExports, auditExports, reportExports, impex, workStream, photos, wallet, monthlySummary, staffPerformance, marketing, schedulerRuns, notes, wecom, wecomOfficial, care, feedback, community, questionnaires, consultations, contacts,
    cipher, sessions, audit, wechat, clients, staff, mpAuth, points, rewards, outbox, tags, journey, orders, referrals, rfm, worklist, delivery, limits,
  };
}
