import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { createStaff } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff/staff.entity';

describe('staff notices through the hospital’s WeCom app', () => {
  let t: WeComTestContext;
  let zhang: Staff;
  let li: Staff;
  let offline: Staff;
  // Each test its own minute, so the rate counter starts empty.
  let minute = 0;
  beforeAll(async () => {
    t = await createWeComTestContext({ env: { WECOM_NOTICE_CALLS_PER_MINUTE: '2' } });
    [zhang, li, offline] = await Promise.all([createStaff(t, 'consultant'), createStaff(t, 'consultant'), createStaff(t, 'doctor')]);
    await t.services.wecomOfficial.linkStaffUser(t.users.zhangsan, zhang.id);
    await t.services.wecomOfficial.linkStaffUser(t.users.lisi, li.id);
  });
  beforeEach(() => { t.clock.advance(++minute * 60_000); });
  afterAll(async () => { await t.close(); });

  it('sends one text card to everyone with the same notice, linking into the console; staff without WeCom stay on the console', async () => {
    const before = t.wecom.appMessages.length;
    const card = { title: 'A级线索：新客户', description: '意向：隆鼻；请在 1 小时内联系', path: '/leads?grade=A' };

    const r = await t.services.wecomOfficial.notices.send([{ staffId: zhang.id, ...card }, { staffId: li.id, ...card }, { staffId: offline.id, ...card }]);

    expect(r).toEqual({ calls: 1, sent: 2, deferred: [], unreachable: [offline.id] });
    expect(t.wecom.appMessages.slice(before)).toEqual([expect.objectContaining({
      touser: [t.users.zhangsan, t.users.lisi], title: card.title, url: `${t.config.publicUrl}/console/leads?grade=A`,
    })]);
  });

  it('keeps within the calls per minute: the rest is handed back, and goes out the next minute', async () => {
    const notices = ['任务一', '任务二', '任务三'].map((title) => ({ staffId: zhang.id, title, description: '回访', path: '/tasks' }));

    const first = await t.services.wecomOfficial.notices.send(notices);
    t.clock.advance(60_000);
    const later = await t.services.wecomOfficial.notices.send(first.deferred);

    expect([first.sent, first.deferred.map((n) => n.title)]).toEqual([2, ['任务三']]);
    expect([later.sent, later.deferred]).toEqual([1, []]);
  });

  it('backs off when WeCom is rate limiting (45009), and hands back what it could not send when WeCom stays busy', async () => {
    t.wecom.failNext('message_send', 45009);
    const through = await t.services.wecomOfficial.notices.send([{ staffId: zhang.id, title: '工单截止', description: '24 小时内处理', path: '/cases' }]);
    t.clock.advance(60_000);
    t.wecom.failNext('message_send', 45009, 10);
    const busy = await t.services.wecomOfficial.notices.send([{ staffId: li.id, title: '帖子待审核', description: '社群', path: '/community' }]);

    expect(through.sent).toBe(1);
    expect([busy.sent, busy.deferred.length]).toEqual([0, 1]);
  });
});
