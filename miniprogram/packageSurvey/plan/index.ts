/**
 * 我的方案: the doctor's plan with its options (surgical and non-surgical), price range, recovery
 * and risk plan; earlier revisions; asking for a change; accepting with an appointment, which
 * makes the intent letter 意向书. Query: id (a plan; otherwise the client's plans, or the only one).
 */
import { acceptPlan, getPlan, listPlans, requestChange, type Plan, type PlanStatus, type PlanSummary } from '../../services/plans';
import { BOOKING, type AppointmentKind } from '../../services/appointments';
import { date, money } from '../../utils/format';
import { isApiError, type ApiError } from '../../utils/request';
import { slotErrorText } from '../lib/slots';

const STATUS: Record<PlanStatus, { text: string; tone: string }> = {
  draft: { text: '准备中', tone: '' },
  proposed: { text: '待您确认', tone: 'tag-primary' },
  change_requested: { text: '医生调整中', tone: 'tag-warning' },
  accepted: { text: '已确认', tone: 'tag-success' },
  withdrawn: { text: '已撤回', tone: '' },
};

const KINDS: { value: AppointmentKind; label: string; note: string }[] = [
  { value: 'consultation', label: '面诊', note: '先到院与医生当面沟通' },
  { value: 'procedure', label: '治疗/手术', note: '已考虑清楚，直接预约项目' },
];

interface ListItem {
  id: string;
  statusText: string;
  tone: string;
  doctor: string;
  price: string;
  when: string;
}

interface View {
  id: string;
  status: PlanStatus;
  statusText: string;
  tone: string;
  doctor: string;
  revision: number;
  current: boolean;
  surgical: string;
  nonSurgical: string;
  price: string;
  recovery: string;
  riskPlan: string;
  proposedAt: string;
  revisions: { revision: number; on: boolean; label: string }[];
  changeRequests: { id: string; text: string; when: string; revision: number }[];
  letterId: string;
  canAct: boolean;
}

function priceOf(min: number, max: number): string {
  return min === max ? money(min) : `${money(min)} – ${money(max)}`;
}

function viewOf(p: Plan): View {
  const status = STATUS[p.status] ?? STATUS.proposed;
  const r = p.revision;
  const current = r.revision === p.currentRevision;
  return {
    id: p.id,
    status: p.status,
    statusText: status.text,
    tone: status.tone,
    doctor: p.doctor?.name ?? '',
    revision: r.revision,
    current,
    surgical: r.options.surgical?.description ?? '',
    nonSurgical: r.options.nonSurgical?.description ?? '',
    price: priceOf(r.priceMinFen, r.priceMaxFen),
    recovery: r.recoveryDays ? `约 ${r.recoveryDays} 天` : '几乎不影响日常',
    riskPlan: r.riskPlan ?? '',
    proposedAt: r.proposedAt ? date(r.proposedAt) : '',
    revisions: p.revisions.map((x) => ({ revision: x.revision, on: x.revision === r.revision, label: `第 ${x.revision} 版` })),
    changeRequests: p.changeRequests.map((c) => ({ id: c.id, text: c.comment ?? '', when: date(c.createdAt), revision: c.revision })),
    letterId: p.letterId ?? '',
    // The client acts on the newest revision shown to them, while the plan is open.
    canAct: current && (p.status === 'proposed' || p.status === 'change_requested'),
  };
}

const errorOf = (e: unknown): ApiError | undefined => (isApiError(e) ? e : undefined);

Page({
  data: {
    loading: true,
    error: '',
    mode: 'list' as 'list' | 'detail',
    list: [] as ListItem[],
    plan: null as View | null,
    panel: '' as '' | 'change' | 'accept',
    comment: '',
    commentError: '',
    kinds: KINDS,
    kind: 'consultation' as AppointmentKind,
    durations: { consultation: BOOKING.consultationMinutes, procedure: BOOKING.procedureMinutes },
    slotAt: '',
    slotLabel: '',
    slotError: '',
    note: '',
    busy: false,
  },

  planId: '',

  onLoad(query: Record<string, string | undefined>): Promise<void> {
    this.planId = query.id ?? '';
    return this.load(query.revision ? Number(query.revision) : undefined);
  },

  async onPullDownRefresh(): Promise<void> {
    await this.load();
    wx.stopPullDownRefresh();
  },

  onRetry(): Promise<void> {
    return this.load();
  },

  async load(revision?: number): Promise<void> {
    this.setData({ error: '' });
    try {
      if (!this.planId) {
        const { items } = await listPlans();
        const open = items.filter((p) => p.status !== 'withdrawn' && p.status !== 'draft');
        // One plan (the usual case): straight to it.
        if (open.length !== 1) {
          this.setData({ loading: false, mode: 'list', list: items.map((p: PlanSummary) => this.listItem(p)) });
          return;
        }
        this.planId = open[0].id;
      }
      const plan = await getPlan(this.planId, revision);
      this.setData({ loading: false, mode: 'detail', plan: viewOf(plan), panel: '' });
    } catch (e) {
      this.setData({ loading: false, error: errorOf(e)?.friendly ?? '方案没有加载出来，请稍后再试' });
    }
  },

  listItem(p: PlanSummary): ListItem {
    const s = STATUS[p.status] ?? STATUS.proposed;
    return {
      id: p.id, statusText: s.text, tone: s.tone, doctor: p.doctor?.name ?? '', price: priceOf(p.priceMinFen, p.priceMaxFen),
      when: date(p.proposedAt ?? p.updatedAt),
    };
  },

  onOpen(e: WechatMiniprogram.BaseEvent): Promise<void> {
    this.planId = e.currentTarget.dataset.id as string;
    this.setData({ loading: true });
    return this.load();
  },

  onRevision(e: WechatMiniprogram.BaseEvent): Promise<void> {
    return this.load(Number(e.currentTarget.dataset.revision));
  },

  onQuestionnaire(): void {
    wx.navigateTo({ url: '/packageSurvey/questionnaire/index' });
  },

  // ---------------------------------------------------------------- ask for a change

  onShowChange(): void {
    this.setData({ panel: 'change', comment: '', commentError: '' });
  },

  onClosePanel(): void {
    this.setData({ panel: '' });
  },

  onComment(e: WechatMiniprogram.Input): void {
    this.setData({ comment: String(e.detail.value ?? ''), commentError: '' });
  },

  async onSendChange(): Promise<void> {
    const plan = this.data.plan!;
    const comment = this.data.comment.trim();
    if (!comment) {
      this.setData({ commentError: '请写下您希望调整的地方' });
      return;
    }
    if (this.data.busy) return;
    this.setData({ busy: true });
    try {
      const updated = await requestChange(plan.id, { revision: plan.revision, comment });
      this.setData({ busy: false, plan: viewOf(updated), panel: '' });
      wx.showToast({ title: '已告诉医生，调整后会通知您', icon: 'none' });
    } catch (e) {
      this.setData({ busy: false });
      await this.failed(e);
    }
  },

  // ---------------------------------------------------------------- accept with an appointment

  onShowAccept(): void {
    this.setData({ panel: 'accept', slotError: '', note: '' });
  },

  onKind(e: WechatMiniprogram.BaseEvent): void {
    this.setData({ kind: e.currentTarget.dataset.value as AppointmentKind });
  },

  onSlot(e: WechatMiniprogram.CustomEvent<{ at: string; label: string }>): void {
    this.setData({ slotAt: e.detail.at, slotLabel: e.detail.label, slotError: '' });
  },

  onNote(e: WechatMiniprogram.Input): void {
    this.setData({ note: String(e.detail.value ?? '') });
  },

  async onAccept(): Promise<void> {
    const plan = this.data.plan!;
    if (!this.data.slotAt) {
      this.setData({ slotError: '请选择一个到院时间' });
      return;
    }
    if (this.data.busy) return;
    const confirm = await wx.showModal({
      title: '确认方案',
      content: `确认第 ${plan.revision} 版方案，并预约 ${this.data.slotLabel} 到院？确认后会生成意向书，方案不再变动。`,
      confirmText: '确认',
      cancelText: '再想想',
    });
    if (!confirm.confirm) return;
    this.setData({ busy: true });
    const note = this.data.note.trim();
    try {
      const letter = await acceptPlan(plan.id, { revision: plan.revision, appointment: { at: this.data.slotAt, kind: this.data.kind, ...(note ? { note } : {}) } });
      this.setData({ busy: false });
      wx.redirectTo({ url: `/packageSurvey/letter/index?id=${letter.id}` });
    } catch (e) {
      this.setData({ busy: false });
      await this.failed(e);
    }
  },

  onLetter(): void {
    wx.navigateTo({ url: `/packageSurvey/letter/index?id=${this.data.plan!.letterId}` });
  },

  async failed(err: unknown): Promise<void> {
    const e = errorOf(err);
    const slot = e ? slotErrorText(e) : '';
    if (slot) {
      this.setData({ slotError: slot });
      return;
    }
    wx.showToast({ title: e?.friendly ?? '没有成功，请稍后再试', icon: 'none', duration: 2500 });
    if (e?.code === 'PLAN_ALREADY_ACCEPTED') {
      // Accepted before (maybe this very request, whose answer was lost): show the letter.
      const letterId = (e.details as { letterId?: string } | undefined)?.letterId;
      if (letterId) wx.redirectTo({ url: `/packageSurvey/letter/index?id=${letterId}` });
      else await this.load();
      return;
    }
    if (e?.code === 'PLAN_REVISION_OUTDATED' || e?.code === 'PLAN_WITHDRAWN') await this.load();
  },
});
