import type { EntityManager } from 'typeorm';
import type { RowsAfter } from '../../shared/watermark';
import type { Actor } from '../audit';
import type { StaffRole } from '../staff';
import { SurveyAnswers } from './feedback.answers';
import { FeedbackCases } from './feedback.cases';
import type { ShareChannel } from './feedback.rules';
import { SatisfactionReports } from './feedback.report';
import { CaseRow, FeedbackDeps, FeedbackSupport, SurveyRow, clientCaseView, feedbackAad, scoresOf } from './feedback.shared';
import { CaseDeadlines } from './feedback.sla';
import { FeedbackSurveys } from './feedback.surveys';
import type {
  CaseDetail, CaseListQuery, CaseView, ClientCaseView, Compensation, ComplaintInput, DeliveredMessage, ReportRange, SatisfactionReport, ShareResult,
  SurveyAnswerInput, SurveyView,
} from './feedback.types';
import { CaseCompensation } from './feedback.winback';

/**
 * Satisfaction surveys, complaints and the cases they open, one object on `Services`: a facade over
 * its use cases — the survey of an order and its invitation (`surveys`), the client's answer and a
 * promoter's share (`answers`), cases opened by poor answers and complaints and resolved by staff
 * (`cases`) with the supervisor's win-back compensation, case deadlines (`deadlines`) and the
 * director's satisfaction report (`reports`). An answer, its case, its staff task and its outbox rows
 * commit together; a promoter's share grants points once; an overdue case alerts the director once
 * (conditional UPDATE plus the outbox dedupe key). Each method hands over to the use case that does the work.
 */
export class FeedbackService {
  /** Staff roles that see and resolve cases: the director, customer service and the configured assignee role. */
  readonly caseRoles: StaffRole[];

  /** Who may give a compensation when resolving: the supervisor role (主管, configurable) and the director. */
  readonly compensatorRoles: StaffRole[];

  private readonly s: FeedbackSupport;
  private readonly surveys: FeedbackSurveys;
  private readonly answers: SurveyAnswers;
  private readonly cases: FeedbackCases;
  private readonly deadlines: CaseDeadlines;
  private readonly reports: SatisfactionReports;

  constructor(deps: FeedbackDeps) {
    this.s = new FeedbackSupport(deps);
    this.caseRoles = this.s.caseRoles;
    this.compensatorRoles = this.s.compensatorRoles;
    this.surveys = new FeedbackSurveys(this.s);
    this.cases = new FeedbackCases(this.s, new CaseCompensation(this.s));
    this.answers = new SurveyAnswers(this.s, this.surveys, this.cases);
    this.deadlines = new CaseDeadlines(this.s);
    this.reports = new SatisfactionReports(this.s);
  }

  // ---- surveys and answers ----

  /** Opens the survey of a paid order, once per order (see FeedbackSurveys.openSurvey); in `m` when given. */
  openSurvey(m: EntityManager | null, input: { clientId: number; orderId: number }): Promise<string> {
    return this.surveys.openSurvey(m, input);
  }

  /** openSurvey for many orders in one go (the due scan's batch); the public ids by order id. */
  openSurveys(m: EntityManager, inputs: { clientId: number; orderId: number }[]): Promise<Map<number, string>> {
    return this.surveys.openSurveys(m, inputs);
  }

  listPending(clientId: number): Promise<SurveyView[]> {
    return this.surveys.listPending(clientId);
  }

  getForClient(clientId: number, surveyPublicId: string): Promise<SurveyView> {
    return this.surveys.getForClient(clientId, surveyPublicId);
  }

  answer(clientId: number, surveyPublicId: string, input: SurveyAnswerInput): Promise<{ survey: SurveyView; replayed: boolean }> {
    return this.answers.answer(clientId, surveyPublicId, input);
  }

  /** Whether a digit the client replies in WeCom would answer a survey asked in that chat. */
  hasSurveyAskedInChat(clientId: number): Promise<boolean> {
    return this.surveys.hasSurveyAskedInChat(clientId);
  }

  /** The bot's entry for a digit (0–10) replied in WeCom; null when no survey was asked in the chat (see SurveyAnswers.recordNpsReply). */
  recordNpsReply(clientId: number, score: number): Promise<{ surveyId: string; nps: number } | null> {
    return this.answers.recordNpsReply(clientId, score);
  }

  share(clientId: number, surveyPublicId: string, channel: ShareChannel): Promise<ShareResult> {
    return this.answers.share(clientId, surveyPublicId, channel);
  }

  // ---- complaints and cases ----

  complain(clientId: number, input: ComplaintInput): Promise<{ complaint: ClientCaseView; replayed: boolean }> {
    return this.cases.complain(clientId, input);
  }

  listComplaints(clientId: number): Promise<ClientCaseView[]> {
    return this.cases.listComplaints(clientId);
  }

  /** Cases opened after a watermark, for the staff notification stream (see rowsAfter). */
  openedAfter(afterId: number | null, limit?: number): Promise<RowsAfter<{ id: number; assigneeRole: StaffRole }>> {
    return this.deadlines.openedAfter(afterId, limit);
  }

  /** Open cases whose deadline passed since `since` (staff notices: each once), oldest deadline first. */
  overdueSince(since: Date, now: Date, limit?: number): Promise<{ id: number; assigneeRole: StaffRole }[]> {
    return this.deadlines.overdueSince(since, now, limit);
  }

  listCases(actor: Actor, q: CaseListQuery): Promise<{ items: CaseView[]; page: number; hasMore: boolean }> {
    return this.cases.listCases(actor, q);
  }

  getCase(actor: Actor, casePublicId: string): Promise<CaseDetail> {
    return this.cases.getCase(actor, casePublicId);
  }

  resolveCase(actor: Actor, casePublicId: string, resolution: string, compensation?: Compensation): Promise<CaseDetail> {
    return this.cases.resolveCase(actor, casePublicId, resolution, compensation);
  }

  /** The 'case-sla' task: alerts the director once about each open case past its deadline; returns how many. */
  escalateOverdue(now?: Date): Promise<number> {
    return this.deadlines.escalateOverdue(now);
  }

  // ---- reports ----

  /** 满意度报表 (director): see SatisfactionReports.satisfactionReport. */
  satisfactionReport(range: ReportRange = {}): Promise<SatisfactionReport> {
    return this.reports.satisfactionReport(range);
  }

  /**
   * For DeliveryService `hooks`, in the transaction that records the messages as sent: a survey
   * invitation that reached the client records when and through which channel.
   */
  readonly deliveryHooks = {
    onDelivered: (m: EntityManager, delivered: DeliveredMessage[]): Promise<void> => this.surveys.recordInvitations(m, delivered),
  };

  /**
   * The client's rights reach feedback too (PIPL), through ClientsService.addDataHooks: a deleted
   * account loses its free texts (comments, complaints, resolutions; the scores stay for the
   * anonymous reports), and the client's export lists their answers and complaints.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('UPDATE satisfaction_surveys SET comment_enc = NULL WHERE client_id = ?', [clientId]);
      await m.query('UPDATE feedback_cases SET text_enc = NULL, resolution_enc = NULL WHERE client_id = ?', [clientId]);
    },
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const surveys: SurveyRow[] = await m.query(`SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'answered' ORDER BY id`, [clientId]);
      const cases: CaseRow[] = await m.query(`SELECT * FROM feedback_cases WHERE client_id = ? AND source = 'complaint' ORDER BY id`, [clientId]);
      return {
        satisfactionSurveys: surveys.map((s) => ({
          id: s.public_id, answeredAt: s.answered_at, nps: s.nps === null ? null : Number(s.nps), indicators: scoresOf(s),
          comment: this.s.reveal(s.comment_enc, feedbackAad.surveyComment(s.public_id)), sharedAt: s.shared_at,
        })),
        complaints: cases.map((c) => ({ ...clientCaseView(c), text: this.s.reveal(c.text_enc, feedbackAad.caseText(c.public_id)) })),
      };
    },
  };
}
