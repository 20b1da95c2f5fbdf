import Joi from 'joi';
import { area, int, setting } from '../setting';

export const rfm = area('RFM and dormant clients (nightly)', {
  chunk: int('RFM_CHUNK', { min: 100, max: 1_000_000, default: 20000, doc: 'Clients per statement (one short transaction each)' }),
  monetaryTiersFen: setting('RFM_MONETARY_TIERS_YUAN', Joi.string().pattern(/^\d+,\d+,\d+,\d+$/), {
    default: '1000,5000,20000,50000',
    doc: 'Monetary score thresholds: yearly spend in yuan for scores 2,3,4,5 (3 and up = high spender)',
    map: (v, problems) => {
      const yuan = v.split(',').map(Number);
      if (yuan.some((t, i) => i > 0 && t <= yuan[i - 1])) problems.push('RFM_MONETARY_TIERS_YUAN must be increasing');
      return yuan.map((y) => y * 100) as [number, number, number, number];
    },
  }),
  // DOMAIN.md: no purchase for 3 months → care offer; 6–12 months → returning gift; over 12 → phone callback.
  careMonths: int('RFM_CARE_MONTHS', { min: 1, max: 60, default: 3, doc: 'Months without a purchase before the care offer' }),
  giftMonths: int('RFM_GIFT_MONTHS', { min: 1, max: 60, default: 6, doc: 'Months without a purchase before the returning-client gift' }),
  callbackMonths: int('RFM_CALLBACK_MONTHS', { min: 1, max: 120, default: 12, doc: 'Months without a purchase before the phone callback task' }),
  // DOMAIN.md: ≥2 purchases in a quarter → VIP.
  vipOrdersPerQuarter: int('RFM_VIP_ORDERS_PER_QUARTER', { min: 1, max: 100, default: 2, doc: 'Purchases within a quarter that make a client VIP' }),
}, {
  check: (r) => (r.careMonths < r.giftMonths && r.giftMonths < r.callbackMonths ? [] : ['RFM_CARE_MONTHS < RFM_GIFT_MONTHS < RFM_CALLBACK_MONTHS must hold']),
});
