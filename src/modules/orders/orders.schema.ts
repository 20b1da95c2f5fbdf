import Joi from 'joi';
import { exportFormat } from '../../shared/http/export';
import { idParams, publicIdParam, publicIdSchema } from '../../shared/http/schemas';
export { idParams };
import { FOLLOWUP_PLANS, ORDER_STATUSES, PROJECT_CATEGORIES } from './orders.entity';
import type { ProjectInput, ProjectPatch, RecordOrderInput } from './orders.service';


const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
// External numbers from the cashier system; no ':' so they never collide with our own `void:<id>` refund numbers.
const externalNo = Joi.string().pattern(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,63}$/, 'order or refund number');
// An instant with an explicit offset: a bare local time would be read in the server's zone.
const instant = Joi.string().isoDate().pattern(/(Z|[+-]\d{2}:?\d{2})$/, 'time with a zone (Z or +08:00)');
const MAX_FEN = 100_000_000; // 1,000,000 yuan: far above any single project, low enough to catch a typo

const projectCode = Joi.string().pattern(/^[a-z][a-z0-9_]{1,31}$/, 'lowercase slug');
const projectName = Joi.string().min(1).max(64).pattern(/\S/).pattern(PRINTABLE, 'printable');
const bodyArea = Joi.string().pattern(/^[a-z][a-z_]{1,23}$/, 'lowercase slug').description('nose, eyes, face, skin, body …');
const effectDurationDays = Joi.number().integer().min(1).max(3650).allow(null)
  .description('how long the effect lasts; the repurchase reminder comes one month before it ends');
const repurchaseLeadDays = Joi.number().integer().min(1).max(365).allow(null)
  .description('days before the effect ends that the repurchase reminder comes; null: the hospital\'s CARE_REPURCHASE_LEAD_DAYS');
const followupPlan = Joi.string().valid(...FOLLOWUP_PLANS).allow(null).description('null: the plan of the project\'s category');
const followupEachSession = Joi.boolean().description('a course: each later session restarts the follow-up plan');

export const projectListQuery = Joi.object<{ active?: boolean }>({ active: Joi.boolean() });

export const createProjectBody = Joi.object<ProjectInput>({
  code: projectCode.required(),
  name: projectName.required(),
  category: Joi.string().valid(...PROJECT_CATEGORIES).required(),
  listPriceFen: Joi.number().integer().min(0).max(MAX_FEN).required(),
  bodyArea: bodyArea.required(),
  effectDurationDays,
  repurchaseLeadDays,
  followupPlan,
  followupEachSession,
  active: Joi.boolean(),
}).required();

// The code is the project's stable name: not changeable.
export const updateProjectBody = Joi.object<ProjectPatch>({
  name: projectName,
  category: Joi.string().valid(...PROJECT_CATEGORIES),
  listPriceFen: Joi.number().integer().min(0).max(MAX_FEN),
  bodyArea,
  effectDurationDays,
  repurchaseLeadDays,
  followupPlan,
  followupEachSession,
  active: Joi.boolean(),
}).min(1).required();

export const projectView = Joi.object({
  id: Joi.string(),
  code: Joi.string(),
  name: Joi.string(),
  category: Joi.string().valid(...PROJECT_CATEGORIES),
  listPriceFen: Joi.number().integer(),
  bodyArea: Joi.string(),
  effectDurationDays: Joi.number().integer().allow(null),
  repurchaseLeadDays: Joi.number().integer().allow(null),
  followupPlan: Joi.string().valid(...FOLLOWUP_PLANS).allow(null),
  followupEachSession: Joi.boolean(),
  active: Joi.boolean(),
});
export const projectsResponse = Joi.object({ items: Joi.array().items(projectView) });

const orderItemBody = Joi.object({
  projectId: publicIdSchema,
  projectCode,
  amountFen: Joi.number().integer().min(1).max(MAX_FEN).required().description('what was paid for this project, in fen'),
}).xor('projectId', 'projectCode');

export const recordOrderBody = Joi.object<RecordOrderInput>({
  orderNo: externalNo.required().description('the cashier system\'s order number: the same number with the same content replays'),
  clientId: publicIdParam,
  doctorId: publicIdParam.description('an active staff member with the doctor role'),
  consultantId: publicIdSchema.allow(null).description('an active consultant'),
  paidAt: instant.required().description('when the client paid (business date and time)'),
  items: Joi.array().items(orderItemBody).min(1).max(20).required(),
  amountPaidFen: Joi.number().integer().min(1).description('optional cross-check: must equal the sum of the items'),
}).required();

export const orderListQuery = Joi.object({
  clientId: publicIdSchema,
  status: Joi.string().valid(...ORDER_STATUSES),
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

/** The list's filters, without paging: the export is the whole filtered list. */
export const orderExportQuery = orderListQuery.fork(['page', 'pageSize'], (f) => f.forbidden()).keys({ format: exportFormat });

export const refundBody = Joi.object<{ refundNo: string; amountFen: number; reason: string }>({
  refundNo: externalNo.required().description('unique per refund: the same number with the same content replays'),
  amountFen: Joi.number().integer().min(1).max(MAX_FEN).required(),
  reason: Joi.string().min(2).max(255).pattern(/\S/).pattern(PRINTABLE, 'printable').required(),
}).required();

export const voidBody = Joi.object<{ reason: string }>({
  reason: Joi.string().min(2).max(255).pattern(/\S/).pattern(PRINTABLE, 'printable').required(),
}).required();

const staffRef = Joi.object({ id: Joi.string(), name: Joi.string() });
export const refundView = Joi.object({
  id: Joi.string(),
  refundNo: Joi.string(),
  kind: Joi.string().valid('refund', 'void'),
  amountFen: Joi.number().integer(),
  reason: Joi.string().allow(null),
  pointsDebited: Joi.number().integer(),
  pointsShortfall: Joi.number().integer(),
  recordedBy: staffRef.allow(null),
  createdAt: Joi.date(),
});
export const orderView = Joi.object({
  id: Joi.string(),
  orderNo: Joi.string(),
  clientId: Joi.string(),
  doctor: staffRef,
  consultant: staffRef.allow(null),
  paidAt: Joi.date(),
  items: Joi.array().items(Joi.object({
    project: Joi.object({ id: Joi.string(), code: Joi.string(), name: Joi.string() }).allow(null).description('null for staff who may not see procedures'),
    category: Joi.string().valid(...PROJECT_CATEGORIES).allow(null),
    amountFen: Joi.number().integer(),
  })),
  amountPaidFen: Joi.number().integer(),
  amountRefundedFen: Joi.number().integer(),
  pointsEarned: Joi.number().integer(),
  status: Joi.string().valid(...ORDER_STATUSES),
  refunds: Joi.array().items(refundView),
  recordedBy: staffRef.allow(null),
  createdAt: Joi.date(),
});
export const recordOrderResponse = orderView.keys({ replayed: Joi.boolean() });
export const ordersResponse = Joi.object({ items: Joi.array().items(orderView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const refundResponse = Joi.object({ order: orderView, refund: refundView, replayed: Joi.boolean() });
