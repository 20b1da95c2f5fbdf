import Joi from 'joi';
import { exportFormat } from '../../shared/http/export';
import { idParams, pageKeys, pageQuery, type Paging } from '../../shared/http/schemas';
export { idParams, pageQuery };
import { TAG_DIMENSIONS } from '../tags';
import { POST_STATUSES, type PostCard } from './community.entity';
import type { PostInput, PostPatch } from './community.service';

export const listQuery = Joi.object<Paging & { status?: (typeof POST_STATUSES)[number] }>({ ...pageKeys, status: Joi.string().valid(...POST_STATUSES) });
export const postExportQuery = Joi.object({ status: Joi.string().valid(...POST_STATUSES), format: exportFormat });

const PRINTABLE_LINE = /^[^\u0000-\u001f\u007f]*$/;
const PRINTABLE_TEXT = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const title = Joi.string().min(1).max(64).pattern(/\S/).pattern(PRINTABLE_LINE, 'printable');
const text = Joi.string().min(1).max(2000).pattern(/\S/).pattern(PRINTABLE_TEXT, 'printable');
const imageUrl = Joi.string().uri({ scheme: ['https'] }).max(500).allow(null);
const card = Joi.object({
  title: title.required(),
  pagePath: Joi.string().max(200).pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*(\?[A-Za-z0-9_=&%.-]*)?$/, 'mini-program page path').required(),
}).allow(null);
const instant = Joi.string().isoDate().pattern(/(Z|[+-]\d{2}:?\d{2})$/, 'time with a zone (Z or +08:00)');
const tagValues = Joi.array().items(Joi.string().min(1).max(48)).min(1).max(20).unique();

export const audienceSchema = Joi.alternatives()
  .try(
    Joi.object({ roomTopics: Joi.array().items(Joi.string().trim().min(1).max(60).pattern(PRINTABLE_LINE, 'printable')).min(1).max(20).unique().required() }),
    Joi.object({ tags: Joi.object().pattern(Joi.string().valid(...TAG_DIMENSIONS), tagValues).min(1).required() }),
  )
  .description('client groups by topic ({roomTopics}) or WeCom-bound clients with matching tags ({tags: {dimension: values}}: every dimension, any value)');

export const scheduleSchema = Joi.alternatives().try(
  Joi.object({ kind: Joi.string().valid('once').required(), at: instant.required() }),
  Joi.object({
    kind: Joi.string().valid('weekly').required(),
    weekday: Joi.number().integer().min(1).max(7).required().description('1 = Monday … 7 = Sunday, Asia/Shanghai'),
    time: Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm').required().description('Asia/Shanghai'),
  }),
);

export const createBody = Joi.object<PostInput>({
  title: title.required(),
  text: text.required(),
  imageUrl,
  card,
  audience: audienceSchema.required(),
  schedule: scheduleSchema.required(),
}).required();

export const updateBody = Joi.object<PostPatch>({ title, text, imageUrl, card, audience: audienceSchema, schedule: scheduleSchema }).min(1).required();

export const checkBody = Joi.object<{ title?: string; text: string; card?: PostCard | null }>({ title: Joi.string().max(64).allow(''), text: Joi.string().max(2000).allow('').required(), card: card.optional() }).required();
export const rejectBody = Joi.object<{ reason: string }>({ reason: Joi.string().min(2).max(500).pattern(/\S/).pattern(PRINTABLE_TEXT, 'printable').required() }).required();

const staffRef = Joi.object({ id: Joi.string(), name: Joi.string().allow('') }).allow(null);
export const complianceView = Joi.object({
  compliant: Joi.boolean(),
  violations: Joi.array().items(Joi.object({ category: Joi.string(), words: Joi.array().items(Joi.string()) })),
  checkedAt: Joi.string(),
});
export const postView = Joi.object({
  id: Joi.string(),
  title: Joi.string(),
  text: Joi.string(),
  imageUrl: Joi.string().allow(null),
  card: Joi.object({ title: Joi.string(), pagePath: Joi.string() }).allow(null),
  audience: Joi.object({ roomTopics: Joi.array().items(Joi.string()).optional(), tags: Joi.object().pattern(Joi.string(), Joi.array().items(Joi.string())).optional() }),
  schedule: Joi.object({ kind: Joi.string().valid('once', 'weekly'), at: Joi.date().optional(), weekday: Joi.number().integer().optional(), time: Joi.string().optional() }),
  status: Joi.string().valid(...POST_STATUSES),
  compliance: complianceView.allow(null),
  reviewNote: Joi.string().allow(null),
  createdBy: staffRef,
  submittedAt: Joi.date().allow(null),
  approvedBy: staffRef,
  approvedAt: Joi.date().allow(null),
  lastOccurrence: Joi.string().allow(null),
  nextAt: Joi.date().allow(null),
  createdAt: Joi.date(),
  updatedAt: Joi.date(),
});
export const postsResponse = Joi.object({ items: Joi.array().items(postView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const deliveriesResponse = Joi.object({
  items: Joi.array().items(Joi.object({
    occurrence: Joi.string(),
    target: Joi.object({ kind: Joi.string().valid('room_topic', 'client'), topic: Joi.string().optional(), clientId: Joi.string().allow(null).optional() }),
    status: Joi.string(),
    channel: Joi.string().allow(null),
    sentAt: Joi.date().allow(null),
    queuedAt: Joi.date(),
  })),
  page: Joi.number().integer(),
  hasMore: Joi.boolean(),
});
