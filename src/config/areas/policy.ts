import Joi from 'joi';
import { area, int, setting } from '../setting';

const version = (name: string, what: string) => setting(name, Joi.string().max(32), {
  default: '2026-01', doc: `Current version of the ${what}; a consent given to an older version does not count`,
});

export const policy = area('Consent policies (PIPL)', {
  privacyVersion: version('PRIVACY_POLICY_VERSION', 'privacy policy'),
  healthConsentVersion: version('HEALTH_CONSENT_VERSION', 'health-data consent'),
  guardianConsentVersion: version('GUARDIAN_CONSENT_VERSION', 'guardian consent'),
  guardianAgeUnder: int('GUARDIAN_AGE_UNDER', {
    min: 1, max: 18, default: 14, doc: 'Clients younger than this (by birth date) need a guardian\'s consent before health data',
  }),
});
