/**
 * 意向问卷: any published template, one section at a time. Answers are checked as they are given,
 * saved as a draft a moment after each change (and on every step and when leaving), and resumed on
 * any phone. Health sections wait for the health-data consent. The submission carries an id kept
 * until it succeeds, so a retry after a lost answer never counts twice.
 * Query: code (default 'intent'), section (index to open at, e.g. when coming back from the consent).
 */
import {
  getDraft, getQuestionnaire, saveDraft, submitQuestionnaire, latestSubmission, pendingSubmissionId, clearPendingSubmissionId,
  type Answers, type AnswerValue, type Question, type QuestionnaireTemplate, type LatestSubmission, type SubmissionResult,
} from '../../services/questionnaire';
import { requireHealthConsent } from '../../services/me';
import { isApiError, type ApiError } from '../../utils/request';
import { date, money, time } from '../../utils/format';
import {
  allQuestions, carryOver, checkAnswer, draftAnswers, isEmpty, isSensitive, problemsOf, serverProblems, submissionAnswers, timing, visibleQuestions,
} from '../lib/form';

type Phase = 'loading' | 'error' | 'intro' | 'already' | 'form' | 'consent' | 'done';

interface Item {
  id: string;
  number: number;
  question: Question;
  value: AnswerValue | null;
  error: string;
}

interface Outcome {
  points: number;
  areas: string;
  budget: string;
  message: string;
  when: string;
}

const SAVE_TEXT: Record<string, string> = {
  saving: '正在保存…',
  offline: '网络不稳定，恢复后会自动保存',
  failed: '暂未保存，稍后会再试',
};

function outcomeOf(r: LatestSubmission): Outcome {
  const { budgetMinFen: lo, budgetMaxFen: hi } = r.summary;
  const budget = hi !== null && lo !== null && lo !== hi ? `${money(lo)} – ${money(hi)}` : hi !== null ? `${money(hi)} 以内` : '';
  return {
    points: r.pointsEarned,
    areas: r.summary.areas.map((a) => a.label.split(/[（(]/)[0]).join('、'),
    budget,
    message: r.summary.message,
    when: date(r.submittedAt),
  };
}

const errorOf = (e: unknown): ApiError | undefined => (isApiError(e) ? e : undefined);

Page({
  data: {
    phase: 'loading' as Phase,
    errorText: '',
    title: '',
    intro: '',
    questionCount: 0,
    minutes: 0,
    sectionIndex: 0,
    sectionCount: 0,
    sectionTitle: '',
    sectionDescription: '',
    sectionSensitive: false,
    isFirst: true,
    isLast: false,
    items: [] as Item[],
    progress: 0,
    saveState: '',
    saveText: '',
    submitting: false,
    result: null as Outcome | null,
    latest: null as Outcome | null,
  },

  // Page state outside `data` (not rendered); set up in onLoad.
  code: 'intent',
  template: null as QuestionnaireTemplate | null,
  answers: {} as Answers,
  revision: 0,
  /** Messages shown under questions, by id: our checks and the server's. */
  errors: {} as Record<string, string>,
  /** Answers the server refused: left out of the draft until changed. */
  refused: {} as Record<string, true>,
  /** Questions the server says must be shown (a show-if only it can evaluate). */
  forced: new Set<string>(),
  dirty: false,
  timer: undefined as number | undefined,
  saving: null as Promise<void> | null,
  saveAgain: false,
  consentOk: false,
  startSection: -1,

  onLoad(query: Record<string, string | undefined>): Promise<void> {
    this.code = query.code || 'intent';
    this.template = null;
    this.answers = {};
    this.revision = 0;
    this.errors = {};
    this.refused = {};
    this.forced = new Set();
    this.dirty = false;
    this.saving = null;
    this.consentOk = false;
    this.startSection = query.section !== undefined && /^\d+$/.test(query.section) ? Number(query.section) : -1;
    return this.load();
  },

  onHide(): void {
    void this.saveNow();
  },

  onUnload(): void {
    void this.saveNow();
  },

  async load(): Promise<void> {
    this.setData({ phase: 'loading', errorText: '' });
    try {
      const [t, draft] = await Promise.all([getQuestionnaire(this.code), getDraft(this.code)]);
      this.template = t;
      this.answers = { ...draft.answers };
      this.revision = draft.revision;
      if (draft.carriedOver) wx.showToast({ title: '问卷内容有更新，已为您保留仍适用的回答', icon: 'none', duration: 2500 });
      const count = allQuestions(t).length;
      this.setData({
        title: t.title,
        intro: t.intro ?? '',
        questionCount: count,
        // About ten seconds a question, rounded up to whole minutes.
        minutes: Math.max(1, Math.ceil(count / 6)),
        sectionCount: t.sections.length,
      });
      wx.setNavigationBarTitle({ title: t.title });
      const hasAnswers = Object.keys(this.answers).length > 0;
      if (this.startSection >= 0) return await this.goSection(Math.min(this.startSection, t.sections.length - 1), 1);
      if (draft.submitted && !hasAnswers) return await this.showAlready();
      if (!hasAnswers) return this.setData({ phase: 'intro' });
      wx.showToast({ title: '已为您恢复上次填写的内容', icon: 'none' });
      return await this.goSection(this.firstIncomplete(), 1);
    } catch (e) {
      this.setData({ phase: 'error', errorText: errorOf(e)?.friendly ?? '问卷没有加载出来，请稍后再试' });
    }
  },

  async showAlready(): Promise<void> {
    this.setData({ phase: 'already' });
    try {
      this.setData({ latest: outcomeOf(await latestSubmission(this.code)) });
    } catch {
      // The summary is a nicety; the page works without it.
    }
  },

  onStart(): Promise<void> {
    return this.goSection(0, 1);
  },

  onRetryLoad(): Promise<void> {
    return this.load();
  },

  // ---------------------------------------------------------------- sections

  visible(): Set<string> {
    return visibleQuestions(this.template!, this.answers, Date.now(), this.forced);
  },

  /** The first section with a question still to answer (or to fix), else the last one. */
  firstIncomplete(problems?: Record<string, string>): number {
    const t = this.template!;
    const p = problems ?? problemsOf(t, this.answers, this.visible());
    const i = t.sections.findIndex((s) => s.questions.some((q) => p[q.id]));
    return i >= 0 ? i : t.sections.length - 1;
  },

  /**
   * Opens section `i`, skipping sections whose questions are all hidden (in direction `dir`).
   * A health section waits for the health-data consent: without it the client goes to the
   * consent page, which brings them back here.
   */
  async goSection(i: number, dir: 1 | -1): Promise<void> {
    const t = this.template!;
    const visible = this.visible();
    let at = i;
    while (at > 0 && at < t.sections.length - 1 && !t.sections[at].questions.some((q) => visible.has(q.id))) at += dir;
    const section = t.sections[at];
    if (t.healthConsentRequired && isSensitive(section) && !this.consentOk) {
      this.setData({ phase: 'consent', sectionIndex: at });
      await this.saveNow();
      let ok = false;
      try {
        ok = await requireHealthConsent(this.backUrl(at));
      } catch (e) {
        wx.showToast({ title: errorOf(e)?.friendly ?? '网络不太稳定，请稍后再试', icon: 'none' });
        return;
      }
      if (!ok) return; // on the consent page now; it brings the client back to this section
      this.consentOk = true;
    }
    this.setData({ phase: 'form', sectionIndex: at });
    this.render();
    wx.pageScrollTo({ scrollTop: 0, duration: 0 });
  },

  backUrl(section: number): string {
    return `/packageSurvey/questionnaire/index?code=${encodeURIComponent(this.code)}&section=${section}`;
  },

  onGoConsent(): Promise<void> {
    return this.goSection(this.data.sectionIndex, 1);
  },

  /** Puts the current section's shown questions, their answers and messages on screen. */
  render(): void {
    const t = this.template!;
    const visible = this.visible();
    const index = this.data.sectionIndex;
    const section = t.sections[index];
    let number = 0;
    const items: Item[] = [];
    t.sections.forEach((s, si) => {
      for (const q of s.questions) {
        if (!visible.has(q.id)) continue;
        number += 1;
        if (si === index) items.push({ id: q.id, number, question: q, value: this.answers[q.id] ?? null, error: this.errors[q.id] ?? '' });
      }
    });
    const required = allQuestions(t).filter((q) => q.required && visible.has(q.id));
    const done = required.filter((q) => !isEmpty(this.answers[q.id])).length;
    this.setData({
      items,
      sectionTitle: section.title,
      sectionDescription: section.description ?? '',
      sectionSensitive: isSensitive(section),
      isFirst: index === 0,
      isLast: index === t.sections.length - 1,
      progress: required.length ? Math.round((done / required.length) * 100) : 100,
    });
  },

  async onNext(): Promise<void> {
    const t = this.template!;
    const section = t.sections[this.data.sectionIndex];
    const problems = problemsOf(t, this.answers, this.visible(), Date.now(), [section.id]);
    const ids = Object.keys(problems);
    if (ids.length) {
      this.showProblems(problems);
      wx.showToast({ title: `还有 ${ids.length} 道题需要完成`, icon: 'none' });
      return;
    }
    await this.saveNow();
    await this.goSection(this.data.sectionIndex + 1, 1);
  },

  async onPrev(): Promise<void> {
    void this.saveNow();
    await this.goSection(this.data.sectionIndex - 1, -1);
  },

  /** Shows messages under their questions and scrolls to the first one on this section. */
  showProblems(problems: Record<string, string>): void {
    Object.assign(this.errors, problems);
    this.render();
    const first = this.data.items.find((it) => it.error);
    if (first) wx.pageScrollTo({ selector: `#q-${first.id}`, duration: 200 });
  },

  // ---------------------------------------------------------------- answers and autosave

  onAnswer(e: WechatMiniprogram.CustomEvent<{ id: string; value: AnswerValue | null }>): void {
    const { id, value } = e.detail;
    const t = this.template!;
    if (isEmpty(value)) delete this.answers[id];
    else this.answers[id] = value as AnswerValue;
    delete this.refused[id];
    delete this.errors[id];
    this.forced.delete(id);
    // A wrong shape or range shows at once; a missing answer only when moving on.
    const q = allQuestions(t).find((x) => x.id === id);
    if (q && !isEmpty(value)) {
      const problem = checkAnswer(q, value, this.answers);
      if (problem) this.errors[id] = problem;
    }
    // Answers that depend on this one (e.g. budget minimum ≤ maximum) are checked again.
    for (const other of allQuestions(t)) {
      if (other.notAbove === id && this.errors[other.id] && !isEmpty(this.answers[other.id])) {
        const p = checkAnswer(other, this.answers[other.id], this.answers);
        if (p) this.errors[other.id] = p;
        else delete this.errors[other.id];
      }
    }
    this.dirty = true;
    this.render();
    this.scheduleSave();
  },

  scheduleSave(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.saveNow();
    }, timing.autosaveMs) as unknown as number;
  },

  /** Saves the draft now if anything changed; one save at a time, the latest answers win. */
  saveNow(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.saving) {
      this.saveAgain = true;
      return this.saving;
    }
    if (!this.dirty || !this.template) return Promise.resolve();
    this.saving = this.save(0).finally(() => {
      this.saving = null;
      if (this.saveAgain) {
        this.saveAgain = false;
        void this.saveNow();
      }
    });
    return this.saving;
  },

  /** One draft save; `withoutHealth` leaves health answers out (the consent is missing: nothing of them may be stored). */
  async save(attempt: number, withoutHealth = false): Promise<void> {
    const t = this.template!;
    this.dirty = false;
    const answers = draftAnswers(t, this.answers);
    for (const id of Object.keys(this.refused)) delete answers[id];
    if (withoutHealth) {
      for (const s of t.sections) for (const q of s.questions) if (isSensitive(s, q)) delete answers[q.id];
    }
    this.setData({ saveState: 'saving', saveText: SAVE_TEXT.saving });
    try {
      const draft = await saveDraft(this.code, { versionId: t.versionId, answers, revision: this.revision });
      this.revision = draft.revision;
      this.setData({ saveState: 'saved', saveText: `已自动保存 ${time(draft.updatedAt ?? Date.now())}` });
      return;
    } catch (err) {
      this.dirty = true;
      const e = errorOf(err);
      const again = attempt < 2;
      if (e?.code === 'QUESTIONNAIRE_DRAFT_CONFLICT' && again) {
        // Saved meanwhile on another phone: take those answers, keep what was changed here.
        const server = await getDraft(this.code).catch(() => null);
        if (server) {
          this.answers = { ...server.answers, ...this.answers };
          this.revision = server.revision;
          wx.showToast({ title: '已合并您在其他设备上的填写', icon: 'none' });
          this.render();
          return this.save(attempt + 1, withoutHealth);
        }
      } else if (e?.code === 'QUESTIONNAIRE_INVALID_ANSWERS' && again) {
        const problems = serverProblems(t, e.details, this.answers);
        for (const id of Object.keys(problems)) this.refused[id] = true;
        this.showProblems(problems);
        return this.save(attempt + 1, withoutHealth);
      } else if (e?.code === 'QUESTIONNAIRE_VERSION_NOT_CURRENT' && again) {
        if (await this.reloadTemplate()) return this.save(attempt + 1, withoutHealth);
      } else if ((e?.code === 'HEALTH_CONSENT_REQUIRED' || e?.code === 'GUARDIAN_CONSENT_REQUIRED') && !withoutHealth) {
        // The consent was withdrawn meanwhile: keep the other answers, then ask for the consent again.
        this.consentOk = false;
        await this.save(attempt + 1, true);
        void this.goSection(this.firstSensitive(), 1);
        return;
      }
      const offline = e?.status === 0;
      this.setData({ saveState: offline ? 'offline' : 'failed', saveText: offline ? SAVE_TEXT.offline : SAVE_TEXT.failed });
    }
  },

  /** The hospital published a new version: fetch it and keep the answers that still fit. */
  async reloadTemplate(): Promise<boolean> {
    try {
      const t = await getQuestionnaire(this.code);
      this.template = t;
      this.answers = carryOver(t, this.answers);
      this.errors = {};
      this.refused = {};
      this.forced = new Set();
      this.setData({ title: t.title, intro: t.intro ?? '', sectionCount: t.sections.length, sectionIndex: Math.min(this.data.sectionIndex, t.sections.length - 1) });
      this.render();
      return true;
    } catch {
      return false;
    }
  },

  // ---------------------------------------------------------------- submit

  async onSubmit(): Promise<void> {
    if (this.data.submitting) return;
    const t = this.template!;
    const visible = this.visible();
    const problems = problemsOf(t, this.answers, visible);
    const count = Object.keys(problems).length;
    if (count) {
      // Shown before anything is sent: the section with the first problem opens.
      Object.assign(this.errors, problems);
      wx.showToast({ title: `还有 ${count} 道题需要完成`, icon: 'none' });
      await this.goSection(this.firstIncomplete(problems), 1);
      this.showProblems({});
      return;
    }
    this.setData({ submitting: true });
    // A draft save must not land after the submission (it would bring the answers back).
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.saving) await this.saving;
    try {
      const result = await this.send(visible, false);
      clearPendingSubmissionId(this.code);
      this.answers = {};
      this.errors = {};
      this.dirty = false;
      this.setData({ phase: 'done', result: outcomeOf(result), submitting: false, saveState: '', saveText: '' });
      wx.pageScrollTo({ scrollTop: 0, duration: 0 });
      if (result.pointsEarned > 0) wx.showToast({ title: `提交成功，获得 ${result.pointsEarned} 积分`, icon: 'none', duration: 2500 });
    } catch (err) {
      this.setData({ submitting: false });
      await this.submitFailed(err);
    }
  },

  /** Sends the submission under the kept id; an id the server saw with other answers is replaced once. */
  async send(visible: Set<string>, renewed: boolean): Promise<SubmissionResult> {
    const t = this.template!;
    const body = { submissionId: pendingSubmissionId(this.code), versionId: t.versionId, answers: submissionAnswers(this.answers, visible) };
    try {
      return await submitQuestionnaire(this.code, body);
    } catch (err) {
      // An earlier try with this id went through with the answers before an edit: send the edit as a new submission.
      if (!renewed && errorOf(err)?.code === 'IDEMPOTENCY_KEY_REUSED') {
        clearPendingSubmissionId(this.code);
        return this.send(visible, true);
      }
      throw err;
    }
  },

  async submitFailed(err: unknown): Promise<void> {
    const e = errorOf(err);
    const t = this.template!;
    switch (e?.code) {
      case 'QUESTIONNAIRE_INVALID_ANSWERS': {
        const problems = serverProblems(t, e.details, this.answers);
        for (const d of (Array.isArray(e.details) ? e.details : []) as { field?: string; type?: string }[]) {
          const id = (d.field ?? '').replace(/^answers\./, '');
          if (d.type === 'answer.required' && problems[id]) this.forced.add(id);
        }
        Object.assign(this.errors, problems);
        wx.showToast({ title: e.friendly, icon: 'none', duration: 2500 });
        await this.goSection(this.firstIncomplete(problems), 1);
        this.showProblems({});
        return;
      }
      case 'QUESTIONNAIRE_VERSION_NOT_CURRENT':
        if (await this.reloadTemplate()) {
          this.dirty = true;
          void this.saveNow();
          wx.showModal({ title: '问卷有更新', content: '医院刚刚更新了问卷，已为您保留仍适用的回答，请检查后再提交。', showCancel: false, confirmText: '好的' });
          await this.goSection(this.firstIncomplete(), 1);
          return;
        }
        break;
      case 'HEALTH_CONSENT_REQUIRED':
      case 'GUARDIAN_CONSENT_REQUIRED':
        this.consentOk = false;
        await this.goSection(this.firstSensitive(), 1);
        return;
      default:
        break;
    }
    // The network or the server failed: the answers are saved and the same id goes again next time.
    wx.showToast({ title: `${e?.friendly ?? '提交没有成功'}，您的回答已保存`, icon: 'none', duration: 2500 });
  },

  firstSensitive(): number {
    const i = this.template!.sections.findIndex((s) => isSensitive(s));
    return i >= 0 ? i : this.data.sectionIndex;
  },

  // ---------------------------------------------------------------- after submitting

  onRefill(): Promise<void> {
    this.answers = {};
    this.errors = {};
    return this.goSection(0, 1);
  },

  onViewPlan(): void {
    wx.navigateTo({ url: '/packageSurvey/plan/index' });
  },

  onBook(): void {
    wx.navigateTo({ url: '/packageSurvey/appointments/index' });
  },

  onHome(): void {
    wx.switchTab({ url: '/pages/index/index' });
  },
});
