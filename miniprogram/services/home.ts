/**
 * 首页: the client's stage and what to do next, composed from the profile, plans, appointments,
 * pending surveys and the latest intent questionnaire. One failing source does not blank the page.
 */
import { request, isApiError, type ApiError } from '../utils/request';
import { friendlyDateTime } from '../utils/format';
import type { ApiOk, ItemOf } from './api';
import type { Profile } from './me';
import type { Plans, PlanSummary } from './plans';
import type { Appointment, AppointmentKind, Appointments } from './appointments';
import type { LatestSubmission } from './questionnaire';

type Surveys = ApiOk<'/api/mp/surveys'>;
export type SurveySummary = ItemOf<Surveys>;

/** One thing to do, as a card on the home page. */
export interface NextStep {
  key: 'questionnaire' | 'submitted' | 'plan' | 'appointment' | 'book' | 'survey' | 'recovery' | 'welcome_back';
  title: string;
  text: string;
  action: string;
  /** Page to open (navigateTo), empty for an information-only card. */
  url: string;
}

export interface HomeView {
  profile: Profile | null;
  stage: string;
  stageLabel: string;
  /** 0..4 on 问卷 → 面诊 → 方案 → 预约 → 术后 */
  progress: number;
  next: NextStep | null;
  others: NextStep[];
  /** Friendly message when some of it could not be loaded. */
  error: string;
}

export const STAGE_LABELS: Record<string, string> = {
  lead: '新朋友',
  surveyed: '已填写问卷',
  consulting: '面诊咨询中',
  plan_proposed: '方案待确认',
  plan_accepted: '方案已确认',
  booked: '已预约',
  post_op: '术后恢复期',
  dormant: '好久不见',
  lost: '好久不见',
};

const PROGRESS: Record<string, number> = { lead: 0, surveyed: 1, consulting: 1, plan_proposed: 2, plan_accepted: 3, booked: 3, post_op: 4, dormant: 0, lost: 0 };

export const STEP_LABELS = ['问卷', '面诊', '方案', '预约', '术后'];

const KIND: Record<AppointmentKind, string> = { consultation: '面诊', procedure: '治疗', review: '复查' };

async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ApiError }> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    if (isApiError(e)) return { ok: false, error: e };
    throw e;
  }
}

/** The newest intent questionnaire submission, or null when there is none yet (404). */
export async function latestIntentSubmission(): Promise<LatestSubmission | null> {
  try {
    return await request<LatestSubmission>({ path: '/api/mp/questionnaires/intent/submissions/latest' });
  } catch (e) {
    if (isApiError(e) && e.status === 404) return null;
    throw e;
  }
}

/** Works out the next steps from what is known; exported for tests of the rules. */
export function nextSteps(input: {
  stage: string;
  plans: PlanSummary[];
  appointments: Appointment[];
  surveys: SurveySummary[];
  submission: LatestSubmission | null | undefined;
  now?: number;
}): NextStep[] {
  const now = input.now ?? Date.now();
  const steps: NextStep[] = [];
  const survey = input.surveys.find((s) => s.status === 'open');
  if (survey) {
    const project = survey.order.projects.map((p) => p.name).join('、');
    steps.push({
      key: 'survey',
      title: '邀您做一次满意度回访',
      text: `${project ? `关于「${project}」，` : ''}您的感受对我们很重要，约1分钟`,
      action: '去评价',
      url: `/packageSurvey/survey/index?id=${survey.id}`,
    });
  }
  const upcoming = input.appointments
    .filter((a) => (a.status === 'requested' || a.status === 'confirmed') && Date.parse(a.at) >= now - 3600_000)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
  if (upcoming) {
    steps.push({
      key: 'appointment',
      title: `${friendlyDateTime(upcoming.at, now)} ${KIND[upcoming.kind] ?? '预约'}`,
      text: upcoming.status === 'confirmed' ? '预约已确认，请提前10分钟到院，我们在这里等您' : '预约已提交，顾问确认后会通知您',
      action: '查看预约',
      url: '/packageSurvey/appointments/index',
    });
  }
  const proposed = input.plans.find((p) => p.status === 'proposed');
  if (proposed) {
    steps.push({
      key: 'plan',
      title: '医生为您制定了专属方案',
      text: `${proposed.doctor ? `${proposed.doctor.name}医生` : '医生'}已根据您的情况给出建议，看看是否合适`,
      action: '查看方案',
      url: `/packageSurvey/plan/index?id=${proposed.id}`,
    });
  }
  const accepted = input.plans.find((p) => p.status === 'accepted');
  if (accepted && !upcoming && input.stage !== 'post_op') {
    steps.push({ key: 'book', title: '方案已确认，预约到院时间', text: '选一个方便的时间，我们为您安排医生', action: '去预约', url: '/packageSurvey/appointments/index' });
  }
  if (input.stage === 'post_op' && !survey) {
    steps.push({ key: 'recovery', title: '术后恢复期，我们一直都在', text: '如有任何不适或疑问，随时联系您的顾问', action: '联系我们', url: '/packageSurvey/complaint/index' });
  }
  if (input.submission === null && !input.plans.length) {
    steps.push({
      key: input.stage === 'dormant' || input.stage === 'lost' ? 'welcome_back' : 'questionnaire',
      title: input.stage === 'dormant' || input.stage === 'lost' ? '好久不见，说说您现在的想法' : '先花3分钟，告诉我们您的想法',
      text: '填写意向问卷，医生会据此为您准备面诊，完成即得积分',
      action: '开始填写',
      url: '/packageSurvey/questionnaire/index',
    });
  } else if (input.submission && !input.plans.length && !upcoming) {
    steps.push({ key: 'submitted', title: '问卷已收到，谢谢您', text: '顾问会尽快与您联系，为您安排面诊', action: '预约面诊', url: '/packageSurvey/appointments/index' });
  }
  return steps;
}

export async function loadHome(): Promise<HomeView> {
  const [me, plans, appts, surveys, latest] = await Promise.all([
    settle(request<Profile>({ path: '/api/mp/me' })),
    settle(request<Plans>({ path: '/api/mp/plans' })),
    settle(request<Appointments>({ path: '/api/mp/appointments' })),
    settle(request<Surveys>({ path: '/api/mp/surveys' })),
    settle(latestIntentSubmission()),
  ]);
  const failed = [me, plans, appts, surveys, latest].find((r) => !r.ok) as { ok: false; error: ApiError } | undefined;
  const profile = me.ok ? me.value : null;
  const stage = profile?.stage ?? 'lead';
  const steps =
    me.ok || plans.ok || appts.ok || latest.ok
      ? nextSteps({
          stage,
          plans: plans.ok ? plans.value.items : [],
          appointments: appts.ok ? appts.value.items : [],
          surveys: surveys.ok ? surveys.value.items : [],
          // Unknown (failed) is not "none": do not ask for a questionnaire already filled.
          submission: latest.ok ? latest.value : undefined,
        })
      : [];
  return {
    profile,
    stage,
    stageLabel: STAGE_LABELS[stage] ?? '',
    progress: PROGRESS[stage] ?? 0,
    next: steps[0] ?? null,
    others: steps.slice(1),
    error: failed ? failed.error.friendly : '',
  };
}
