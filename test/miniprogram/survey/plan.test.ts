/** 我的方案 and 意向书 (packageSurvey/plan, packageSurvey/letter). */
import { loggedIn } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { render, until } from './helpers';

const PLAN_ID = 'PlanPublicId0000000001';
const LETTER_ID = 'LetterPublicId00000001';

function plan(over: Record<string, unknown> = {}, revision = 2): any {
  return {
    id: PLAN_ID, status: 'proposed', currentRevision: 2, acceptedRevision: null, priceMinFen: 2_000_000, priceMaxFen: 3_500_000,
    proposedAt: '2026-03-08T02:00:00.000Z', acceptedAt: null, updatedAt: '2026-03-08T02:00:00.000Z', doctor: { name: '李医生' },
    revision: {
      revision,
      options: {
        surgical: { projectCodes: ['rhinoplasty'], description: '膨体隆鼻 + 耳软骨鼻尖' },
        nonSurgical: { projectCodes: ['hyaluronic_filler'], description: '玻尿酸注射隆鼻，维持约12个月' },
      },
      priceMinFen: revision === 2 ? 2_000_000 : 1_800_000, priceMaxFen: 3_500_000, recoveryDays: 14,
      riskPlan: '术前停用阿司匹林7天；过敏史：避免青霉素类抗生素', createdAt: '2026-03-08T01:00:00.000Z', proposedAt: '2026-03-08T02:00:00.000Z',
    },
    revisions: [{ revision: 1, proposedAt: '2026-03-01T02:00:00.000Z' }, { revision: 2, proposedAt: '2026-03-08T02:00:00.000Z' }],
    changeRequests: [{ id: 'ChangePublicId00000001', revision: 1, comment: '希望恢复期短一些', createdAt: '2026-03-02T02:00:00.000Z' }],
    letterId: null,
    ...over,
  };
}

function letter(appointment: Record<string, unknown> = {}): any {
  const at = '2027-06-02T02:00:00.000Z';
  return {
    id: LETTER_ID, planId: PLAN_ID, revision: 2, confirmedAt: '2026-03-08T03:00:00.000Z',
    snapshot: {
      planId: PLAN_ID, revision: 2, doctor: { name: '李医生' }, options: plan().revision.options, priceMinFen: 2_000_000, priceMaxFen: 3_500_000,
      recoveryDays: 14, riskPlan: '术前停用阿司匹林7天', proposedAt: '2026-03-08T02:00:00.000Z', confirmedAt: '2026-03-08T03:00:00.000Z',
      appointment: { id: 'ApptPublicId0000000001', kind: 'consultation', at, durationMinutes: 30 },
    },
    appointment: {
      id: 'ApptPublicId0000000001', kind: 'consultation', status: 'requested', at, durationMinutes: 30, note: null, letterId: LETTER_ID,
      confirmedAt: null, cancelledAt: null, createdAt: '2026-03-08T03:00:00.000Z', updatedAt: '2026-03-08T03:00:00.000Z', ...appointment,
    },
  };
}

const single = { status: 200, body: { items: [plan()] } };

describe('我的方案', () => {
  it('opens the only plan at once with its options, price range, recovery, risk plan and the earlier change request', async () => {
    const page = await render('packageSurvey/plan/index', { storage: loggedIn(), api: { 'GET /api/mp/plans': single, 'GET /api/mp/plans/:id': { status: 200, body: plan() } } });
    const text = page.text();
    expect(text).toContain('李医生 医生为您制定的方案');
    expect(text).toContain('待您确认');
    expect(text).toContain('膨体隆鼻 + 耳软骨鼻尖');
    expect(text).toContain('玻尿酸注射隆鼻，维持约12个月');
    expect(text).toContain('¥20,000 – ¥35,000');
    expect(text).toContain('约 14 天');
    expect(text).toContain('术前停用阿司匹林7天');
    expect(text).toContain('希望恢复期短一些');
    expect(page.has('.accept-btn')).toBe(true);
  });

  it('lists several plans and says when there is none yet', async () => {
    const two = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      api: { 'GET /api/mp/plans': { status: 200, body: { items: [plan(), plan({ id: 'PlanPublicId0000000002', status: 'accepted' })] } } },
    });
    expect(two.texts('.plan-item')).toHaveLength(2);
    expect(two.text()).toContain('已确认');

    const none = await render('packageSurvey/plan/index', { storage: loggedIn(), api: { 'GET /api/mp/plans': { status: 200, body: { items: [] } } } });
    expect(none.text()).toContain('医生正在为您准备方案');
  });

  it('shows an earlier revision as history, without the actions', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: { 'GET /api/mp/plans/:id': (call) => ({ status: 200, body: plan({}, call.query.revision ? Number(call.query.revision) : 2) }) },
    });
    await page.tap('.revision-chip', 0);
    expect(callsTo(`GET /api/mp/plans/${PLAN_ID}`).at(-1)!.query).toEqual({ revision: '1' });
    expect(page.text()).toContain('您正在查看历史版本');
    expect(page.text()).toContain('¥18,000 – ¥35,000');
    expect(page.has('.accept-btn')).toBe(false);
  });

  it('asks for a change on the revision shown, and needs a comment first', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: {
        'GET /api/mp/plans/:id': { status: 200, body: plan() },
        'POST /api/mp/plans/:id/change-requests': { status: 201, body: plan({ status: 'change_requested' }) },
      },
    });
    await page.tap('.change-btn');
    await page.tap('.send-change');
    expect(page.text()).toContain('请写下您希望调整的地方');
    expect(callsTo(`POST /api/mp/plans/${PLAN_ID}/change-requests`)).toHaveLength(0);

    await page.input('.change-input', '想先试试非手术的方案');
    await page.tap('.send-change');
    expect(callsTo(`POST /api/mp/plans/${PLAN_ID}/change-requests`)[0].body).toEqual({ revision: 2, comment: '想先试试非手术的方案' });
    expect(page.text()).toContain('医生调整中');
    expect(page.wx.toasts.at(-1)?.title).toBe('已告诉医生，调整后会通知您');
  });

  it('accepts with a slot and a kind, and opens the intent letter', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: { 'GET /api/mp/plans/:id': { status: 200, body: plan() }, 'POST /api/mp/plans/:id/accept': { status: 201, body: letter() } },
    });
    await page.tap('.accept-btn');
    await page.tap('.confirm-accept');
    expect(callsTo(`POST /api/mp/plans/${PLAN_ID}/accept`)).toHaveLength(0); // a slot is chosen first... unless one is picked by default
    // The kind first: a procedure is longer, so which times are free depends on it (late in the
    // day a consultation slot may be free while a procedure there would end after closing).
    await page.tap('.kind', 1);
    const slots = page.comp.querySelector('.slots')!;
    const free = slots.querySelectorAll('.slot-time').findIndex((s) => !/slot-time-off/.test(s.dom.className));
    slots.querySelectorAll('.slot-time')[free].dispatchEvent('tap');
    await page.tap('.confirm-accept');

    const body = callsTo(`POST /api/mp/plans/${PLAN_ID}/accept`)[0].body as any;
    expect(body.revision).toBe(2);
    expect(body.appointment.kind).toBe('procedure');
    expect(body.appointment.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00$/);
    expect(page.wx.modals[0].content).toContain('确认第 2 版方案');
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: `/packageSurvey/letter/index?id=${LETTER_ID}` }]);
  });

  it('shows the clinic\'s hours under the slot when the API refuses the time', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: {
        'GET /api/mp/plans/:id': { status: 200, body: plan() },
        'POST /api/mp/plans/:id/accept': {
          status: 400,
          body: { error: { code: 'APPOINTMENT_OUTSIDE_HOURS', message: 'outside', details: { field: 'body.appointment.at', openFrom: '10:00', openUntil: '17:00', durationMinutes: 120 } } },
        },
      },
    });
    await page.tap('.accept-btn');
    const slots = page.comp.querySelector('.slots')!;
    const free = slots.querySelectorAll('.slot-time').findIndex((s) => !/slot-time-off/.test(s.dom.className));
    slots.querySelectorAll('.slot-time')[free].dispatchEvent('tap');
    await page.tap('.confirm-accept');
    expect(slots.dom.textContent).toContain('门诊时间为 10:00–17:00（北京时间），请换一个时间');
    expect(page.wx.navigations).toEqual([]);
  });

  it('when the plan was accepted before (an answer lost on the way), opens that letter', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: {
        'GET /api/mp/plans/:id': { status: 200, body: plan() },
        'POST /api/mp/plans/:id/accept': [
          { network: 'fail' },
          { status: 409, body: { error: { code: 'PLAN_ALREADY_ACCEPTED', message: 'accepted', details: { letterId: LETTER_ID, acceptedRevision: 2 } } } },
        ],
      },
    });
    await page.tap('.accept-btn');
    const slots = page.comp.querySelector('.slots')!;
    const free = slots.querySelectorAll('.slot-time').findIndex((s) => !/slot-time-off/.test(s.dom.className));
    slots.querySelectorAll('.slot-time')[free].dispatchEvent('tap');
    await page.tap('.confirm-accept');
    await until(page, () => page.wx.navigations.length > 0);
    expect(callsTo(`POST /api/mp/plans/${PLAN_ID}/accept`)).toHaveLength(2);
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: `/packageSurvey/letter/index?id=${LETTER_ID}` }]);
  });

  it('reloads the newest revision when the doctor changed the plan meanwhile', async () => {
    const page = await render('packageSurvey/plan/index', {
      storage: loggedIn(),
      query: { id: PLAN_ID },
      api: {
        'GET /api/mp/plans/:id': [{ status: 200, body: plan() }, { status: 200, body: plan({ currentRevision: 3, revisions: [...plan().revisions, { revision: 3, proposedAt: null }] }, 3) }],
        'POST /api/mp/plans/:id/change-requests': { status: 409, body: { error: { code: 'PLAN_REVISION_OUTDATED', message: 'newer', details: { field: 'body.revision', currentRevision: 3 } } } },
      },
    });
    await page.tap('.change-btn');
    await page.input('.change-input', '价格能再低一点吗');
    await page.tap('.send-change');
    expect(page.wx.toasts.at(-1)?.title).toBe('医生刚刚更新了方案，请先查看最新版本');
    expect(page.data.plan.revision).toBe(3);
  });
});

describe('意向书', () => {
  it('shows what was accepted, the appointment as it is now, and a reminder for the visit', async () => {
    const page = await render('packageSurvey/letter/index', {
      storage: loggedIn(),
      query: { id: LETTER_ID },
      api: { 'GET /api/mp/intent-letters/:id': { status: 200, body: letter({ status: 'confirmed', at: '2027-06-03T06:00:00.000Z' }) } },
    });
    const text = page.text();
    expect(text).toContain('意 向 书');
    expect(text).toContain('第 2 版方案');
    expect(text).toContain('膨体隆鼻 + 耳软骨鼻尖');
    expect(text).toContain('¥20,000 – ¥35,000');
    expect(text).toContain('面诊 · 6月2日 周三 10:00');
    expect(text).toContain('已确认');
    expect(text).toContain('6月3日 周四 14:00');
    expect(text).toContain('时间已由顾问和您沟通后调整');
    expect(page.has('.remind')).toBe(true);
  });
});
