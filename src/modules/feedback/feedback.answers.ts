import type { EntityManager } from 'typeorm';
import { AppError, notFound, validationError } from '../../shared/errors';
import { sha256 } from '../../shared/crypto';
import { FeedbackErrors } from './feedback.errors';
import { INDICATOR_COLUMNS, INDICATORS, IndicatorScores, PROMOTER_FROM, ShareChannel, surveyCaseGrade } from './feedback.rules';
import { FeedbackSupport, SurveyRow, feedbackAad } from './feedback.shared';
import type { FeedbackCases } from './feedback.cases';
import type { FeedbackSurveys } from './feedback.surveys';
import type { ShareResult, SurveyAnswerInput, SurveyView } from './feedback.types';

/**
 * The client's answer to a survey, in the mini-program or as a digit (the NPS) replied in WeCom, and
 * what it causes in the same transaction: a promoter is invited to share their experience (points
 * once, when they do), a poor answer opens a graded case for the supervisor.
 */
export class SurveyAnswers {
  constructor(private readonly s: FeedbackSupport, private readonly surveys: FeedbackSurveys, private readonly cases: FeedbackCases) {}

  /**
   * Records the client's answer, once. The same answer sent again replays; another one is 409
   * SURVEY_ALREADY_ANSWERED. A promoter gets an invitation to share; a poor answer opens a case.
   */
  async answer(clientId: number, surveyPublicId: string, input: SurveyAnswerInput): Promise<{ survey: SurveyView; replayed: boolean }> {
    const comment = input.comment?.trim() ? input.comment.trim() : null;
    const hash = sha256(JSON.stringify(['miniprogram', INDICATORS.map((i) => input.indicators[i]), input.nps, comment]));
    const replayed = await this.s.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ? FOR UPDATE', [surveyPublicId, clientId]);
      if (!row) throw notFound('Survey');
      if (row.status === 'answered') {
        if (row.answer_hash === hash) return true;
        throw new AppError(FeedbackErrors.SURVEY_ALREADY_ANSWERED, 'This survey has already been answered');
      }
      const now = this.s.now();
      if (row.expires_at <= now) throw new AppError(FeedbackErrors.SURVEY_EXPIRED, 'This survey has expired');
      const sets = INDICATORS.map((i) => `${INDICATOR_COLUMNS[i]} = ?`).join(', ');
      await m.query(
        `UPDATE satisfaction_surveys SET ${sets}, nps = ?, comment_enc = ?, answered_via = 'miniprogram', answer_hash = ?, answered_at = ?, status = 'answered' WHERE id = ?`,
        [
          ...INDICATORS.map((i) => input.indicators[i]), input.nps,
          comment === null ? null : this.s.seal(comment, feedbackAad.surveyComment(row.public_id)), hash, now, row.id,
        ],
      );
      await this.afterAnswer(m, row, input.nps, input.indicators);
      return false;
    });
    return { survey: await this.surveys.getForClient(clientId, surveyPublicId), replayed };
  }

  /**
   * The bot's entry for a digit replied in WeCom (0–10): the NPS of the open survey the client was
   * last asked in the chat, with the same consequences as a mini-program answer. Null when there is
   * none: a survey whose invitation has not reached the chat yet (held for quiet hours, waiting
   * for the send budget), or went out only as a subscribe message or a staff task, was not asked
   * there, so a digit in the chat is not its answer.
   */
  async recordNpsReply(clientId: number, score: number): Promise<{ surveyId: string; nps: number } | null> {
    if (!Number.isInteger(score) || score < 0 || score > 10) {
      throw validationError([{ field: 'score', message: 'score must be an integer from 0 to 10', type: 'number.range' }]);
    }
    return this.s.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query(
        `SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? AND invited_via = 'wecom'
          ORDER BY invited_at DESC, id DESC LIMIT 1 FOR UPDATE`,
        [clientId, this.s.now()],
      );
      if (!row) return null;
      await m.query(
        `UPDATE satisfaction_surveys SET nps = ?, answered_via = 'bot', answer_hash = ?, answered_at = ?, status = 'answered' WHERE id = ? AND status = 'open'`,
        [score, sha256(JSON.stringify(['bot', score])), this.s.now(), row.id],
      );
      await this.afterAnswer(m, row, score, null);
      return { surveyId: row.public_id, nps: score };
    });
  }

  /**
   * A promoter (NPS 9–10) shared their experience: recorded once, with the review-sharing points
   * of the hospital's program, once (ledger key `review_shared:<survey>`). A repeat replays.
   */
  async share(clientId: number, surveyPublicId: string, channel: ShareChannel): Promise<ShareResult> {
    return this.s.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ? FOR UPDATE', [surveyPublicId, clientId]);
      if (!row) throw notFound('Survey');
      if (row.status !== 'answered' || row.nps === null || Number(row.nps) < PROMOTER_FROM) {
        throw new AppError(FeedbackErrors.SURVEY_NOT_SHAREABLE, 'Only a survey answered with 9 or 10 can be shared');
      }
      const replayed = row.shared_at !== null;
      const sharedAt = row.shared_at ?? this.s.now();
      if (!replayed) {
        await m.query('UPDATE satisfaction_surveys SET shared_at = ?, share_channel = ? WHERE id = ? AND shared_at IS NULL', [sharedAt, channel, row.id]);
      }
      const granted = await this.s.deps.points.earnForReviewShared(m, clientId, row.public_id);
      return { sharedAt, channel: row.share_channel ?? channel, points: granted ? granted.entry.delta : 0, replayed };
    });
  }

  /** What an answer causes: an invitation for a promoter, a case for a poor answer. */
  private async afterAnswer(m: EntityManager, row: SurveyRow, nps: number, indicators: IndicatorScores | null): Promise<void> {
    const { config, outbox } = this.s.deps;
    if (nps >= PROMOTER_FROM) {
      const points = config.points.reviewShared;
      // The hospital's review program: points for sharing an experience on a review platform, never for forwarding in WeChat.
      const text = points > 0
        ? `感谢您的认可！欢迎在小红书、大众点评等平台分享您的真实体验，参与医院会员评价计划可获得 ${points} 积分。`
        : '感谢您的认可！欢迎在小红书、大众点评等平台分享您的真实体验。';
      await outbox.enqueue(m, {
        kind: 'client_message',
        dedupeKey: `review_invite:${row.public_id}`,
        clientId: row.client_id,
        payload: { text, card: { title: '分享我的体验', pagePath: `${config.feedback.sharePage}?id=${row.public_id}` }, purpose: 'review_invite' },
      });
    }
    const grade = surveyCaseGrade(config.feedback, nps, indicators);
    if (grade) {
      await this.cases.openCase(m, {
        clientId: row.client_id, source: 'survey', dedupeKey: `survey:${row.id}`, grade, category: null, text: null, requestHash: null,
        orderId: row.order_id, surveyId: row.id, nps,
      });
    }
  }
}
