import Joi from 'joi';
import { idParams, publicIdParam } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';
export { idParams };
import type { GrantConsentInput, ProfileUpdate } from './clients.types';

/** Client stages: the list lives with the stage service (journey). */
export { CLIENT_STAGES } from '../journey';
import { CLIENT_STAGES } from '../journey';
export const CONSENT_PURPOSES = ['privacy', 'health', 'guardian'] as const;
const GENDERS = ['unknown', 'female', 'male'];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Printable text only: no control characters in names or addresses.
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

/** A real calendar date as YYYY-MM-DD (range against today is checked in the service, which has the clock). */
const isoDate = Joi.string()
  .pattern(ISO_DATE)
  .custom((value: string, helpers) => {
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return helpers.error('date.base');
    return value;
  })
  .messages({ 'string.pattern.base': '{{#label}} must be a date as YYYY-MM-DD', 'date.base': '{{#label}} must be a real calendar date' });


const name = Joi.string().min(1).max(32).pattern(/\S/).pattern(PRINTABLE, 'printable');

export const updateProfileBody = Joi.object<ProfileUpdate>({
  name,
  gender: Joi.string().valid(...GENDERS),
  birthDate: isoDate.allow(null),
  address: Joi.string().max(200).pattern(PRINTABLE, 'printable').allow(null, ''),
})
  .min(1)
  .required();

export const bindPhoneBody = Joi.object<{ code: string }>({ code: Joi.string().min(1).max(128).required() }).required();

export const grantConsentBody = Joi.object<GrantConsentInput>({
  purpose: Joi.string().valid(...CONSENT_PURPOSES).required(),
  policyVersion: Joi.string().min(1).max(32).required(),
  guardianName: Joi.string().min(1).max(32).pattern(/\S/).pattern(PRINTABLE, 'printable')
    .when('purpose', { is: 'guardian', then: Joi.required(), otherwise: Joi.forbidden() }),
  guardianRelation: Joi.string().min(1).max(16).pattern(/\S/).pattern(PRINTABLE, 'printable')
    .when('purpose', { is: 'guardian', then: Joi.required(), otherwise: Joi.forbidden() }),
}).required();

export const consentPurposeParams = Joi.object<{ purpose: (typeof CONSENT_PURPOSES)[number] }>({ purpose: Joi.string().valid(...CONSENT_PURPOSES).required() });

const healthText = Joi.string().min(1).max(200).pattern(PRINTABLE, 'printable');
export const medicalBody = Joi.object({
  allergies: Joi.array().items(healthText).max(50).required(),
  medications: Joi.array().items(healthText).max(50).required(),
  pastProcedures: Joi.array()
    .items(
      Joi.object({
        name: healthText.required(),
        year: Joi.number().integer().min(1900).max(2100).optional(),
        satisfied: Joi.boolean().optional(),
      }),
    )
    .max(50)
    .required(),
  conditions: Joi.array().items(healthText).max(50).required(),
}).required();

export const deleteAccountBody = Joi.object<{ confirm: true }>({ confirm: Joi.boolean().valid(true).required() }).required();

export const staffListQuery = Joi.object({
  phone: Joi.string().pattern(/^\+?[\d\s-]{5,20}$/),
  name: Joi.string().min(1).max(32),
  stage: Joi.string().valid(...CLIENT_STAGES),
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

/** The list's filters, without paging: the export is the whole filtered list. */
export const staffExportQuery = staffListQuery.fork(['page', 'pageSize'], (f) => f.forbidden()).keys({ format: exportFormat });

export const staffUpdateBody = Joi.object<{ consultantId?: string | null; stage?: (typeof CLIENT_STAGES)[number] }>({
  consultantId: publicIdParam.optional().allow(null),
  stage: Joi.string().valid(...CLIENT_STAGES),
})
  .min(1)
  .required();

const phone = Joi.string().pattern(/^\+?[\d\s-]{5,20}$/).messages({ 'string.pattern.base': '{{#label}} must be a phone number' });
const SOURCE_CHANNELS = ['walk_in', 'phone', 'website', 'wechat', 'xiaohongshu', 'douyin', 'referral', 'other'] as const;

/** A walk-in or phone enquiry entered at the desk. */
export const staffCreateBody = Joi.object({
  name: name.required(),
  phone: phone.required(),
  gender: Joi.string().valid(...GENDERS),
  birthDate: isoDate,
  address: Joi.string().max(200).pattern(PRINTABLE, 'printable').allow(''),
  sourceChannel: Joi.string().valid(...SOURCE_CHANNELS).required(),
  consultantId: publicIdParam.optional().allow(null).description('director and customer service: any consultant; a consultant: themselves (the default)'),
}).required();

/** Staff correct what a walk-in told them; each change is audited by field name. */
export const staffCorrectBody = Joi.object({
  name,
  phone,
  gender: Joi.string().valid(...GENDERS),
  birthDate: isoDate.allow(null),
  address: Joi.string().max(200).pattern(PRINTABLE, 'printable').allow(null, ''),
}).min(1).required();

export const staffCreatedResponse = Joi.object({ id: Joi.string(), stage: Joi.string(), consultant: Joi.object({ id: Joi.string(), displayName: Joi.string() }).allow(null) });
export const revealPhoneResponse = Joi.object({ phone: Joi.string().allow(null) });

// Answers, for the OpenAPI document.
const consentSummaryItem = Joi.object({ policyVersion: Joi.string(), current: Joi.boolean() }).allow(null);
export const profileResponse = Joi.object({
  id: Joi.string(),
  name: Joi.string().allow(null),
  gender: Joi.string().valid(...GENDERS),
  birthDate: Joi.string().allow(null),
  phone: Joi.string().allow(null).description('masked, e.g. 138****5678'),
  address: Joi.string().allow(null),
  referralCode: Joi.string(),
  stage: Joi.string(),
  consents: Joi.object({ privacy: consentSummaryItem, health: consentSummaryItem, guardian: consentSummaryItem }),
});
export const consentResponse = Joi.object({
  id: Joi.string(),
  purpose: Joi.string().valid(...CONSENT_PURPOSES),
  policyVersion: Joi.string(),
  current: Joi.boolean(),
  guardianName: Joi.string().allow(null),
  guardianRelation: Joi.string().allow(null),
  grantedAt: Joi.date(),
  withdrawnAt: Joi.date().allow(null),
});
export const medicalResponse = medicalBody.keys({ updatedAt: Joi.date().allow(null) });
export const exportCreatedResponse = Joi.object({ id: Joi.string(), expiresAt: Joi.date() });
