import { createTestContext, TestContext } from '../helpers/context';
import { startTestBot, TestBot } from '../helpers/bot';
import { ChannelError } from '../../src/modules/delivery';

describe('the WeCom channel on real Wechaty (mock puppet with a tag store)', () => {
  let t: TestContext;
  let b: TestBot;
  beforeAll(async () => {
    t = await createTestContext({ env: { COMMUNITY_IMAGE_HOSTS: 'example.invalid' } });
    b = await startTestBot(t, { contacts: [{ name: '标签客户' }, { name: '标签客户二' }, { name: '消息客户' }] });
  });
  afterAll(async () => {
    await b.stop();
    await t.close();
  });

  const tagsOn = (id: string) => [...(b.puppet.contactTags.get(id) ?? [])].sort();
  const writesFor = (id: string) => b.puppet.tagWrites.filter((w) => w.contactId === id);

  it('mirrors the tags by dimension group, writing only the difference, and a repeat writes nothing', async () => {
    const c = b.sim.contacts[0].id;
    // A tag staff set by hand, outside the product's groups: never touched.
    await b.puppet.tagContactAdd('老客户', c);

    await b.handle.channel.syncTags(c, { project: ['鼻部', '眼部'], stage: ['咨询期'] });
    expect(tagsOn(c)).toEqual(['客户阶段/咨询期', '意向项目/眼部', '意向项目/鼻部', '老客户'].sort());
    expect(writesFor(c).filter((w) => w.op === 'add')).toHaveLength(4);

    const before = writesFor(c).length;
    await b.handle.channel.syncTags(c, { project: ['眼部', '鼻部'], stage: ['咨询期'] });
    expect(writesFor(c).length).toBe(before);

    await b.handle.channel.syncTags(c, { project: ['鼻部'], stage: ['咨询期'] });
    expect(writesFor(c).slice(before)).toEqual([{ op: 'remove', tagId: '意向项目/眼部', contactId: c }]);

    // A dimension missing from the set is emptied: the set is the client's whole set.
    await b.handle.channel.syncTags(c, { project: ['鼻部'] });
    expect(tagsOn(c)).toEqual(['意向项目/鼻部', '老客户'].sort());
  });

  it('a tag write that fails midway is a transient ChannelError, and the retry writes only what is still missing', async () => {
    const c = b.sim.contacts[1].id;
    b.puppet.failTagWriteAfter(2);
    const first = await b.handle.channel.syncTags(c, { project: ['面部', '鼻部', '眼部'], value_tier: ['高净值'] }).catch((e) => e);
    expect(first).toBeInstanceOf(ChannelError);
    expect(first.transient).toBe(true);
    expect(tagsOn(c)).toHaveLength(2);

    await b.handle.channel.syncTags(c, { project: ['面部', '鼻部', '眼部'], value_tier: ['高净值'] });
    expect(tagsOn(c)).toEqual(['价值分层/高净值', '意向项目/眼部', '意向项目/面部', '意向项目/鼻部'].sort());
    // Each tag was written exactly once in the end.
    expect(writesFor(c).map((w) => w.tagId).sort()).toEqual(tagsOn(c));
  });

  it('delivers text, a mini-program card and an image to a contact', async () => {
    const c = b.sim.contacts[2];
    await b.handle.channel.sendToContact(c.id, {
      text: '术后第 7 天，恢复得怎么样？', card: { title: '术后护理指南', pagePath: 'pages/care/guide?day=7' }, imageUrl: 'https://example.invalid/guide.png',
    });
    expect(b.inbox.get(c.id)).toEqual([
      { type: 'text', text: '术后第 7 天，恢复得怎么样？' },
      { type: 'mini_program', card: expect.objectContaining({ appid: t.config.wechat.appId, title: '术后护理指南', pagePath: 'pages/care/guide.html?day=7' }) },
      { type: 'image', text: undefined },
    ]);
  });

  it('an image off the allowed hosts is never fetched: nothing of the message is sent, and it is not retried', async () => {
    const c = b.sim.contacts[2];
    const before = b.inbox.get(c.id)?.length ?? 0;
    for (const imageUrl of ['https://evil.example/x.png', 'http://example.invalid/guide.png', 'https://example.invalid:8443/x.png', 'https://sub.example.invalid/x.png']) {
      const err = await b.handle.channel.sendToContact(c.id, { text: '本周直播', imageUrl }).catch((e) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect(err.transient).toBe(false);
    }
    expect(b.inbox.get(c.id)?.length ?? 0).toBe(before);
  });

  it('finds client groups by topic, posts to them, and sends staff alerts to the staff group headed with the role', async () => {
    const rooms = await b.handle.channel.findRooms('美丽学院·客户交流群');
    expect(rooms).toEqual([b.sim.room.id]);
    await b.handle.channel.sendToRoom(rooms[0], { text: '本周四晚 8 点：院长直播答疑' });
    expect(b.inbox.get(b.sim.room.id)?.at(-1)).toEqual({ type: 'text', text: '本周四晚 8 点：院长直播答疑' });

    await b.handle.channel.sendToStaff('consultant', { text: '客户投诉待处理' });
    expect(b.inbox.get(b.sim.staffRoom.id)?.at(-1)).toEqual({ type: 'text', text: '【咨询师】客户投诉待处理' });
  });

  it('a contact or group that is not there is a ChannelError that is not worth retrying', async () => {
    const contact = await b.handle.channel.sendToContact('no-such-contact', { text: 'hi' }).catch((e) => e);
    expect(contact).toBeInstanceOf(ChannelError);
    expect(contact.transient).toBe(false);
    const room = await b.handle.channel.sendToRoom('no-such-room@chatroom', { text: 'hi' }).catch((e) => e);
    expect(room).toMatchObject({ name: 'ChannelError', transient: false });
    const tags = await b.handle.channel.syncTags('no-such-contact', { project: ['鼻部'] }).catch((e) => e);
    expect(tags).toMatchObject({ name: 'ChannelError', transient: false });
  });
});
