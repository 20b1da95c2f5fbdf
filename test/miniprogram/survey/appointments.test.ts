/** 预约 (packageSurvey/appointments): status, asking for a slot, cancelling, the reminder. */
import { loggedIn } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { render } from './helpers';

const DAY = 86400_000;

function appt(over: Record<string, unknown> = {}): any {
  return {
    id: 'ApptPublicId0000000001', kind: 'consultation', status: 'requested', at: new Date(Date.now() + 3 * DAY).toISOString(), durationMinutes: 30,
    note: '想咨询鼻部', letterId: null, confirmedAt: null, cancelledAt: null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), ...over,
  };
}

const list = (items: any[], hasMore = false) => ({ status: 200, body: { items, page: 1, hasMore } });

function freeSlot(page: any): void {
  const slots = page.comp.querySelector('.slots')!;
  const times = slots.querySelectorAll('.slot-time');
  const free = times.findIndex((s: any) => !/slot-time-off/.test(s.dom.className));
  times[free].dispatchEvent('tap');
}

describe('我的预约', () => {
  it('shows upcoming visits with their status and a reminder, and past ones as history', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/appointments': list([
          appt({ id: 'ApptPublicId0000000002', status: 'confirmed', at: new Date(Date.now() + DAY).toISOString(), letterId: 'LetterPublicId00000001' }),
          appt(),
          appt({ id: 'ApptPublicId0000000003', status: 'completed', at: new Date(Date.now() - 30 * DAY).toISOString(), note: null }),
          appt({ id: 'ApptPublicId0000000004', status: 'cancelled', at: new Date(Date.now() - 40 * DAY).toISOString(), note: null }),
        ]),
      },
    });
    const upcoming = page.texts('.appt-open');
    expect(upcoming).toHaveLength(2);
    expect(upcoming[0]).toContain('明天'); // soonest first
    expect(upcoming[0]).toContain('已确认');
    expect(upcoming[1]).toContain('待确认');
    expect(upcoming[1]).toContain('想咨询鼻部');
    expect(page.texts('.appt-past').join(' ')).toMatch(/已完成.*已取消/);
    expect(page.comp.querySelectorAll('.appt-remind')).toHaveLength(2);
    expect(page.text()).toContain('到院前提醒我');
  });

  it('asks for a slot chosen from the grid, with a note, and shows it once accepted', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      query: { new: '1' },
      api: { 'GET /api/mp/appointments': [list([]), list([appt()])], 'POST /api/mp/appointments': { status: 201, body: appt() } },
    });
    await page.tap('.request-btn');
    expect(page.text()).toContain('请选择一个到院时间');
    expect(callsTo('POST /api/mp/appointments')).toHaveLength(0);

    freeSlot(page);
    await page.flush();
    await page.input('.note-input', '想咨询鼻部');
    expect(page.texts('.request-btn')[0]).toMatch(/^预约 .+ \d{2}:\d{2}$/);
    await page.tap('.request-btn');

    const body = callsTo('POST /api/mp/appointments')[0].body as any;
    expect(body.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00$/);
    expect(new Date(body.at).getTime()).toBeGreaterThan(Date.now());
    expect(body.note).toBe('想咨询鼻部');
    expect(page.wx.toasts.at(-1)?.title).toBe('已提交，顾问确认后会通知您');
    expect(page.texts('.appt-open')).toHaveLength(1);
  });

  it('offers the doctors with a place left at the chosen time and books the one picked', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      query: { new: '1' },
      api: {
        'GET /api/mp/appointments': [list([]), list([appt()])],
        'POST /api/mp/appointments': { status: 201, body: appt() },
        // Whatever time is picked: Dr Wang has one place left, Dr Zhao none.
        'GET /api/mp/appointment-slots': (call: { query: Record<string, string> }) => ({
          status: 200,
          body: { slots: [{ at: (page.comp.instance.data as any).slotAt, doctors: [
            { id: 'DoctorPublicId00000001', name: '王医生', capacity: 2, booked: 1, free: 1 },
            { id: 'DoctorPublicId00000002', name: '赵医生', capacity: 1, booked: 1, free: 0 },
          ] }], date: call.query.date },
        }),
      },
    });

    freeSlot(page);
    await page.flush();
    expect(page.texts('.doctor-choice')).toEqual(['医生：不指定医生']);
    const options = (page.comp.instance.data as any).doctors.map((d: { label: string }) => d.label);
    expect(options).toEqual(['不指定医生', '王医生（余 1 位）']);
    await page.trigger('.doctor-picker', 'change', { value: 1 });
    await page.tap('.request-btn');

    const body = callsTo('POST /api/mp/appointments')[0].body as any;
    expect(body.doctor).toBe('DoctorPublicId00000001');
  });

  it('offers only start times that fit in the opening hours, and none that have passed', async () => {
    const page = await render('packageSurvey/appointments/index', { storage: loggedIn(), query: { new: '1' }, api: { 'GET /api/mp/appointments': list([]) } });
    const slots = page.comp.querySelector('.slots')!;
    const times = slots.querySelectorAll('.slot-time').map((s) => ({ time: (s.dom.textContent ?? '').trim(), off: /slot-time-off/.test(s.dom.className) }));
    // 09:00 to 17:30 every 30 minutes for a 30-minute consultation (the clinic closes at 18:00).
    expect(times.map((x) => x.time)).toEqual(['09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '12:00', '12:30', '13:00', '13:30', '14:00', '14:30', '15:00', '15:30', '16:00', '16:30', '17:00', '17:30']);
    const day = slots.instance.data.date as string;
    for (const x of times) expect(x.off).toBe(new Date(`${day}T${x.time}:00+08:00`).getTime() <= Date.now());
    expect(times.some((x) => !x.off)).toBe(true);
  });

  it('tells the client about the limit of open appointments', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      query: { new: '1' },
      api: {
        'GET /api/mp/appointments': list([]),
        'POST /api/mp/appointments': { status: 409, body: { error: { code: 'APPOINTMENT_LIMIT_REACHED', message: 'limit', details: { limit: 3 } } } },
      },
    });
    freeSlot(page);
    await page.flush();
    await page.tap('.request-btn');
    expect(page.wx.toasts.at(-1)?.title).toBe('您已有待进行的预约，如需调整可先取消一个');
  });

  it('cancels an open appointment after asking', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/appointments': [list([appt()]), list([appt({ status: 'cancelled', cancelledAt: new Date().toISOString() })])],
        'POST /api/mp/appointments/:id/cancel': { status: 200, body: appt({ status: 'cancelled' }) },
      },
    });
    page.wx.modalAnswers.push('cancel');
    await page.tap('.appt-cancel');
    expect(callsTo('POST /api/mp/appointments/ApptPublicId0000000001/cancel')).toHaveLength(0);

    await page.tap('.appt-cancel');
    expect(callsTo('POST /api/mp/appointments/ApptPublicId0000000001/cancel')).toHaveLength(1);
    expect(page.texts('.appt-open')).toHaveLength(0);
    expect(page.texts('.appt-past')[0]).toContain('已取消');
  });

  it('asks for the one-time subscription from the reminder button and reports it', async () => {
    const page = await render('packageSurvey/appointments/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/appointments': list([appt()]),
        'POST /api/mp/subscriptions': { status: 200, body: { templateId: 'followup-reminder', credits: 1, updatedAt: new Date().toISOString() } },
      },
    });
    page.comp.querySelector('.appt-remind')!.querySelector('.remind-me')!.dispatchEvent('tap');
    await page.flush();
    expect(page.wx.subscribeRequests).toEqual([['followup-reminder']]);
    expect(callsTo('POST /api/mp/subscriptions')[0].body).toEqual({ templateId: 'followup-reminder', result: 'accept' });
  });

  it('says when there is no appointment yet', async () => {
    const page = await render('packageSurvey/appointments/index', { storage: loggedIn(), api: { 'GET /api/mp/appointments': list([]) } });
    expect(page.text()).toContain('还没有预约');
    await page.tap('.new-btn');
    expect(page.has('.request-form')).toBe(true);
  });
});
