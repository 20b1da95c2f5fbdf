import { area, int } from '../setting';

/** One client action's limits: per client and per address, within one window. */
const limit = (action: string, what: string, perClient: number, perIp: number, windowSeconds: number) => ({
  perClient: int(`RATE_LIMIT_${action}_PER_CLIENT`, { min: 1, default: perClient, doc: `${what}: per client` }),
  perIp: int(`RATE_LIMIT_${action}_PER_IP`, { min: 1, default: perIp, doc: `${what}: per address` }),
  windowSeconds: int(`RATE_LIMIT_${action}_WINDOW_SECONDS`, { min: 1, default: windowSeconds, doc: `${what}: the window (seconds)` }),
});

export const rateLimits = area('Client action limits', {
  dataExport: limit('DATA_EXPORT', 'Data exports (heavy reads of the whole archive)', 3, 20, 86400),
  complaint: limit('COMPLAINT', 'Complaints (each opens a case and a staff task)', 5, 30, 3600),
  phoneBinding: limit('PHONE_BINDING', 'Phone binding (each attempt spends WeChat getuserphonenumber quota)', 5, 30, 3600),
  referralBinding: limit('REFERRAL_BINDING', 'Sign-ups with a referral code (per WeChat identity and address; refused before the client exists, so a retry still binds)', 3, 30, 3600),
  questionnaireSubmit: limit('QUESTIONNAIRE_SUBMIT', 'Questionnaire submissions (retries with the same submissionId count too)', 10, 60, 3600),
}, {
  // An address counts many clients behind one NAT (a clinic's wifi), hence the higher numbers.
  intro: 'Costly client actions, each limited per client and per address within its window (then 429 with\nRetry-After). The address limit is higher: many clients share one NAT (the clinic\'s wifi).',
});
