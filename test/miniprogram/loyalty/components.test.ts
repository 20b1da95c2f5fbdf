/** The loyalty components: qr-code (what the front desk scans), remind-me (subscription messages), points-badge. */
import { loggedIn, mpModule, renderComponent, type Rendered } from '../helpers/render';
import { callsTo, wxState, type ApiScript } from '../helpers/wx';
import { qrOnScreen, scanQr } from './qr-screen';

type QrModule = typeof import('../../../miniprogram/utils/qrcode');

describe('qr-code', () => {
  it('draws the code module for module, in whole pixels with a four-module quiet zone, and a scanner reads it back', async () => {
    const { encodeQr } = mpModule<QrModule>('utils/qrcode');
    const c = await renderComponent('components/qr-code/index', { text: 'K7M2P9QX4H', size: 440 });

    const shown = qrOnScreen(c);
    // 440rpx on a 375px-wide screen is 220px: 29 modules (21 + 2×4 quiet) of 7px.
    expect(shown.cell).toBe(7);
    expect(shown.width).toBe(7 * 29);
    expect(shown.matrix).toEqual(encodeQr('K7M2P9QX4H').modules);
    expect(scanQr(c)).toBe('K7M2P9QX4H');
  });

  it('redraws when the text changes, and can be dimmed for a used voucher', async () => {
    const c = await renderComponent('components/qr-code/index', { text: 'K7M2P9QX4H' });
    c.comp.setData({ text: 'a3Z9xw2bNq', dimmed: true });
    await c.flush();
    expect(scanQr(c)).toBe('a3Z9xw2bNq');
    expect(c.comp.dom.innerHTML).toContain('qr--dimmed');
  });

  it('shows nothing for an empty text', async () => {
    const empty = await renderComponent('components/qr-code/index', { text: '' });
    expect(empty.has('.qr')).toBe(false);
    expect(empty.text()).toBe('');
  });

  it('shows a plain message instead of a code for text beyond the largest QR version (2,331 bytes at level M)', async () => {
    const long = await renderComponent('components/qr-code/index', { text: 'x'.repeat(2400) });
    expect(long.has('.qr')).toBe(false);
    expect(long.text()).toBe('二维码生成失败，请向工作人员出示下方券码');
  });
});

describe('remind-me', () => {
  const T1 = 'followup-reminder';
  const T2 = 'appointment-reminder';

  /** Renders the button for a logged-in client (the reports need the session). */
  async function remindMe(props: Record<string, unknown>, api?: ApiScript): Promise<Rendered> {
    const c = await renderComponent('components/remind-me/index', props, { api });
    for (const [k, v] of Object.entries(loggedIn())) wxState().storage.set(k, v);
    return c;
  }

  function captureEvents(c: Rendered): { name: string; detail: unknown }[] {
    const events: { name: string; detail: unknown }[] = [];
    c.comp.instance.triggerEvent = (name: string, detail: unknown) => events.push({ name, detail });
    return events;
  }

  it('asks for the subscription within the tap itself, reports each answer to the API and confirms in a toast', async () => {
    const c = await remindMe({ templateIds: [T1, T2], label: '到期提醒我' }, {
      'POST /api/mp/subscriptions': (call) => ({ status: 200, body: { templateId: (call.body as { templateId: string }).templateId, credits: 1, updatedAt: '2026-03-01T00:00:00.000Z' } }),
    });
    const events = captureEvents(c);
    expect(c.text()).toBe('到期提醒我');

    // WeChat refuses requestSubscribeMessage outside a tap's own call stack: the handler calls it before anything asynchronous.
    c.instance.onTap();
    expect(wxState().subscribeRequests).toEqual([[T1, T2]]);
    await c.flush();

    expect(callsTo('POST /api/mp/subscriptions').map((x) => x.body)).toEqual([
      { templateId: T1, result: 'accept' },
      { templateId: T2, result: 'accept' },
    ]);
    expect(wxState().toasts).toEqual([{ title: '已开启提醒，到时会通知您', icon: 'none' }]);
    expect(c.text()).toBe('✓已开启提醒');
    expect(events).toEqual([{ name: 'result', detail: { accepted: [T1, T2], results: { [T1]: 'accept', [T2]: 'accept' }, saved: true } }]);
  });

  it('reports a refusal too, and says reminders stay off', async () => {
    const c = await remindMe({ templateIds: [T1] }, {
      'POST /api/mp/subscriptions': { status: 200, body: { templateId: T1, credits: 0, updatedAt: '2026-03-01T00:00:00.000Z' } },
    });
    wxState().subscribeAnswers[T1] = 'reject';

    await c.tap('.remind-me');

    expect(callsTo('POST /api/mp/subscriptions').map((x) => x.body)).toEqual([{ templateId: T1, result: 'reject' }]);
    expect(wxState().toasts[0].title).toBe('未开启提醒，需要时可再点一次');
    expect(c.text()).toBe('提醒我');
  });

  it('says so when the API did not save an accepted subscription (the client can tap again)', async () => {
    const c = await remindMe({ templateIds: [T1] }, {
      'POST /api/mp/subscriptions': { status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } },
    });
    const events = captureEvents(c);

    await c.tap('.remind-me');

    expect(wxState().toasts[0].title).toBe('提醒没有保存成功，请再点一次');
    expect(c.text()).toBe('提醒我');
    expect(events[0].detail).toMatchObject({ accepted: [T1], saved: false });
    // Not idempotent on the API (each accept is one credit): a failed report is not resent on its own.
    expect(callsTo('POST /api/mp/subscriptions')).toHaveLength(1);
  });

  it('explains how to switch notifications back on when the client turned them off in settings', async () => {
    const c = await remindMe({ templateIds: [T1] });
    (globalThis as unknown as { wx: Record<string, unknown> }).wx.requestSubscribeMessage = (o: { fail: (e: unknown) => void }) =>
      o.fail({ errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.', errCode: 20004 });

    await c.tap('.remind-me');

    expect(wxState().modals[0]).toMatchObject({ title: '通知已关闭' });
    expect(wxState().modals[0].content).toContain('通知管理');
    expect(callsTo('POST /api/mp/subscriptions')).toHaveLength(0);
  });

  it('asks for at most three templates (WeChat\'s limit)', async () => {
    const many = await remindMe({ templateIds: ['a', 'b', 'c', 'd'] }, {
      'POST /api/mp/subscriptions': { status: 200, body: { templateId: 'a', credits: 1, updatedAt: '2026-03-01T00:00:00.000Z' } },
    });
    await many.tap('.remind-me');
    expect(wxState().subscribeRequests).toEqual([['a', 'b', 'c']]);
    expect(callsTo('POST /api/mp/subscriptions')).toHaveLength(3);
  });

  it('does nothing without templates', async () => {
    const none = await remindMe({ templateIds: [] });
    await none.tap('.remind-me');
    expect(wxState().subscribeRequests).toEqual([]);
    expect(wxState().calls).toEqual([]);
  });

  it('ignores a second tap while the first is still being reported', async () => {
    const c = await remindMe({ templateIds: [T1] }, {
      'POST /api/mp/subscriptions': { status: 200, body: { templateId: T1, credits: 1, updatedAt: '2026-03-01T00:00:00.000Z' } },
    });
    c.instance.onTap();
    c.instance.onTap();
    await c.flush();
    expect(wxState().subscribeRequests).toHaveLength(1);
    expect(callsTo('POST /api/mp/subscriptions')).toHaveLength(1);
  });
});

describe('points-badge', () => {
  it('shows the points with thousands separators and opens the 积分 tab on tap', async () => {
    const c = await renderComponent('components/points-badge/index', { points: 12800 });
    expect(c.text()).toBe('积分12,800');
    await c.tap('.points-badge');
    expect(wxState().navigations).toEqual([{ type: 'switchTab', url: '/pages/points/index' }]);
  });

  it('does not navigate when it is not a link', async () => {
    const c = await renderComponent('components/points-badge/index', { points: 5, link: false });
    await c.tap('.points-badge');
    expect(wxState().navigations).toEqual([]);
  });
});
