import { defineErrors, type CodesOf } from '../../shared/errors';

/** Marketing spend and the channel ROI report. */
export const MarketingErrors = defineErrors({
  // Spend is recorded only for a channel the hospital has declared (MARKETING_CHANNELS), so a typo never becomes a channel.
  SPEND_CHANNEL_UNKNOWN: 422,
  // A correction that would leave the amount as it is records nothing.
  SPEND_UNCHANGED: 409,
});

declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof MarketingErrors> {}
}
