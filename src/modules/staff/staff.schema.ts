import Joi from 'joi';
import { STAFF_ROLES } from './staff.entity';
import type { StaffRole } from '../../shared/roles';
import { commonPasswordReason } from './staff.passwords';

export const PASSWORD_MIN_LENGTH = 10;

/** True when a password mixes at least two of: lower case, upper case, digits, anything else. */
export function passwordIsMixed(password: string): boolean {
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u];
  return classes.filter((re) => re.test(password)).length >= 2;
}

const publicIdSchema = Joi.string().pattern(/^[A-Za-z0-9_-]{22}$/, 'public id');
const role = Joi.string().valid(...STAFF_ROLES);
const displayName = Joi.string().min(1).max(64).pattern(/\S/, 'not blank');

const password = Joi.string()
  .min(PASSWORD_MIN_LENGTH)
  .max(128)
  .custom((value: string, helpers) => {
    // One reason at a time: a length already refused is not also judged for being common.
    if (value.length < PASSWORD_MIN_LENGTH || value.length > 128) return value;
    if (!passwordIsMixed(value)) return helpers.message({ custom: 'password must mix at least two of: lower case, upper case, digits, symbols' });
    const common = commonPasswordReason(value);
    return common ? helpers.message({ custom: `password ${common}; choose a less guessable one` }) : value;
  });

const otp = Joi.string().pattern(/^\d{6}$/, '6 digits');

export const loginBody = Joi.object<{ username: string; password: string; otp?: string; recoveryCode?: string }>({
  // No pattern here: an unknown or malformed username gets the same answer as a wrong password.
  username: Joi.string().min(1).max(64).required(),
  password: Joi.string().min(1).max(128).required(),
  otp: otp.description('the current code of the authenticator app, for accounts with TOTP'),
  recoveryCode: Joi.string().min(1).max(32).description('a single-use recovery code, instead of otp'),
}).oxor('otp', 'recoveryCode');

export const totpCodeBody = Joi.object<{ otp: string }>({ otp: otp.required() });

export const createStaffBody = Joi.object<{ username: string; displayName: string; role: StaffRole; password: string }>({
  username: Joi.string().pattern(/^[A-Za-z0-9_.-]{3,64}$/, 'letters, digits, . _ -').required(),
  displayName: displayName.required(),
  role: role.required(),
  password: password.required(),
});

export const changePasswordBody = Joi.object<{ currentPassword: string; newPassword: string }>({
  currentPassword: Joi.string().min(1).max(128).required(),
  newPassword: password.invalid(Joi.ref('currentPassword')).messages({ 'any.invalid': '{{#label}} must differ from the current password' }).required(),
});

export const resetPasswordBody = Joi.object<{ newPassword: string }>({
  newPassword: password.required(),
});

export const updateStaffBody = Joi.object<{ displayName?: string; role?: StaffRole; active?: boolean }>({
  displayName,
  role,
  active: Joi.boolean(),
}).min(1);

export const staffIdParams = Joi.object<{ id: string }>({ id: publicIdSchema.required() });

export const listStaffQuery = Joi.object<{ role?: StaffRole; active?: boolean }>({
  role,
  active: Joi.boolean(),
});

const staffSummary = {
  id: Joi.string(),
  username: Joi.string(),
  displayName: Joi.string(),
  role,
};

export const staffSummaryView = Joi.object(staffSummary);

export const meView = Joi.object({
  ...staffSummary,
  active: Joi.boolean(),
  totpEnabled: Joi.boolean(),
  totpRequired: Joi.boolean().description('the role must have TOTP; while totpEnabled is false this session may only enrol it'),
});

export const totpStartResponse = Joi.object({
  secret: Joi.string().description('base32, for typing in when the QR cannot be scanned'),
  otpauthUri: Joi.string().description('otpauth://totp/… for the QR code'),
});
export const totpConfirmResponse = Joi.object({ recoveryCodes: Joi.array().items(Joi.string()).description('shown this once; each works once') });

export const staffView = Joi.object({
  ...staffSummary,
  active: Joi.boolean(),
  failedAttempts: Joi.number().integer(),
  lockedUntil: Joi.string().isoDate().allow(null),
  createdAt: Joi.string().isoDate(),
});

export const loginResponse = Joi.object({
  token: Joi.string(),
  expiresIn: Joi.number().integer().description('seconds'),
  staff: staffSummaryView,
  totpEnrolmentRequired: Joi.boolean().valid(true).optional().description('present when the role must have TOTP and has none: the session may only enrol it'),
});

export const staffListResponse = Joi.object({ items: Joi.array().items(staffView) });
export const colleaguesQuery = Joi.object<{ role?: StaffRole }>({ role });
export const colleaguesResponse = Joi.object({ items: Joi.array().items(Joi.object({ id: Joi.string(), displayName: Joi.string(), role })) });
export const revokeResponse = Joi.object({ revoked: Joi.number().integer() });
