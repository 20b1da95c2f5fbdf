import type { EntityManager } from 'typeorm';
import { shanghaiMinute } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import type { Actor } from '../audit';
import { FeedbackErrors } from './feedback.errors';
import type { CaseRow, FeedbackSupport } from './feedback.shared';
import type { Compensation } from './feedback.types';

/** What a compensation gave, as the case records it: the voucher's rule and id, or the appointment's id. */
export interface GivenCompensation {
  kind: Compensation['kind'];
  rule: string | null;
  ref: string;
}

/**
 * Win-back 挽回: what the supervisor (主管) gives a client whose case they resolve — a voucher from
 * the voucher engine or a free review appointment — and the apology that tells the client.
 */
export class CaseCompensation {
  constructor(private readonly s: FeedbackSupport) {}

  /** Gives the compensation inside the resolving transaction and tells the client (once per case); returns what was given. */
  async give(m: EntityManager, row: CaseRow, c: Compensation, actor: Actor): Promise<GivenCompensation> {
    const { rewards, consultations, outbox } = this.s.deps;
    const clientId = Number(row.client_id);
    let given: GivenCompensation;
    let text: string;
    let card: { title: string; pagePath: string };
    if (c.kind === 'voucher') {
      const [voucher] = rewards ? await rewards.issueByRule(m, c.rule, [{ clientId, period: `case:${row.public_id}` }]) : [];
      if (!voucher) throw new AppError(FeedbackErrors.COMPENSATION_UNAVAILABLE, 'This voucher is switched off', { field: 'body.compensation.rule' });
      given = { kind: 'voucher', rule: c.rule, ref: voucher.id };
      text = `感谢您的反馈，给您带来不好的体验非常抱歉。我们已改进相关服务，并为您送上${voucher.sentence}，到院出示券码即可使用。`;
      card = { title: voucher.title, pagePath: 'packageLoyalty/vouchers/index' };
    } else {
      if (!consultations) throw new AppError(FeedbackErrors.COMPENSATION_UNAVAILABLE, 'Appointments are not available', { field: 'body.compensation' });
      // A consultation slot with the note saying it is the free review (the appointment kinds have no 'review' yet).
      const appointment = await consultations.appointments.insert(m, clientId, { kind: 'consultation', at: c.at, note: '免费复诊（满意度回访补偿）' }, actor, 'body.compensation.at');
      given = { kind: 'review_appointment', rule: null, ref: appointment.publicId };
      text = `感谢您的反馈，给您带来不好的体验非常抱歉。我们已为您预约一次免费复诊：${shanghaiMinute(c.at)}，医生会当面为您检查并解答疑问。`;
      card = { title: '免费复诊', pagePath: 'packageSurvey/appointments/index' };
    }
    await outbox.enqueue(m, {
      kind: 'client_message', dedupeKey: `winback:${row.public_id}`, clientId, payload: { text, purpose: 'care', card },
    });
    return given;
  }
}
