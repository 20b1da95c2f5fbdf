import Joi from 'joi';
import { area, int, setting } from '../setting';

export const care = area('Follow-ups 术后回访', {
  repurchaseLeadDays: int('CARE_REPURCHASE_LEAD_DAYS', {
    min: 1, max: 365, default: 30, doc: 'Repurchase reminder: days before a project\'s effect is expected to fade (DOMAIN.md: one month)',
  }),
  subscribeTemplateId: setting('CARE_SUBSCRIBE_TEMPLATE_ID', Joi.string().max(128), {
    default: 'followup-reminder', doc: 'Mini-program subscribe-message template id used for follow-ups when the client is not a WeCom contact',
  }),
  // Stored encrypted in a MEDIUMBLOB (16 MiB): the ceiling leaves room for the cipher's overhead.
  photoMaxBytes: int('CARE_PHOTO_MAX_BYTES', {
    min: 10_000, max: 15 * 1024 * 1024, default: 5 * 1024 * 1024,
    doc: 'Largest progress photo (术后对比照) a client may upload, bytes (JPEG/PNG/WebP; metadata is stripped, the photo stored encrypted)',
  }),
});
