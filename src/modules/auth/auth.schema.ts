import { BIND_REFUSALS } from '../referrals';
import Joi from 'joi';
import type { LaunchQuery, LoginInput } from './auth.service';

const text = (max: number) => Joi.string().max(max).allow('', null);

/** The mini-program's launch query on first launch: where the client came from. */
export const launchSchema = Joi.object<LaunchQuery | null>({
  referralCode: Joi.string().pattern(/^[A-Za-z0-9]{4,32}$/).allow('', null).description('Referral code from a share link or poster'),
  utmSource: text(64),
  utmMedium: text(64),
  utmCampaign: text(128),
  scene: Joi.number().integer().min(0).max(99999).allow(null).description('Mini-program scene value (e.g. 1047 scanned a mini-program code)'),
  wecomState: text(64).description('WeCom "contact me" state'),
}).allow(null);

export const loginBody = Joi.object<Omit<LoginInput, 'ip'>>({
  code: Joi.string().min(1).max(128).required().description('The code from wx.login (single-use, valid 5 minutes)'),
  launch: launchSchema.optional(),
});

export const loginResponse = Joi.object({
  token: Joi.string().required().description('Bearer token for /api/mp routes'),
  expiresIn: Joi.number().integer().required().description('Seconds until the token expires'),
  client: Joi.object({
    id: Joi.string().required().description('The client\'s public id'),
    isNew: Joi.boolean().required().description('True when this login created the client'),
  }).required(),
  referral: Joi.object({
    bound: Joi.boolean().required(),
    reason: Joi.string().valid(...BIND_REFUSALS).optional().description('Why the referral code was not bound (the client is registered anyway)'),
  }).optional().description('Only when the login carried a referral code'),
});
