import { createTestContext, TestContext } from '../helpers/context';
import { startBot } from '../../src/bot';
import { simulatedWeCom } from '../../src/bot/puppet';

describe('bot role on the mock puppet', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('starts real Wechaty, logs in to the simulated WeCom, sees its contacts and group, and stops cleanly', async () => {
    const sim = simulatedWeCom();
    const handle = await startBot(t.deps, t.services, { simulated: sim });
    try {
      expect(handle.bot.isLoggedIn).toBe(true);
      expect(handle.bot.currentUser.name()).toBe(sim.self.payload.name);
      const contact = await handle.bot.Contact.find({ name: sim.contacts[0].payload.name });
      expect(contact).toBeDefined();
      const room = await handle.bot.Room.find({ topic: '美丽学院·客户交流群' });
      expect(room).toBeDefined();
      expect((await room!.memberAll()).length).toBe(sim.contacts.length + 1);
    } finally {
      await handle.stop();
    }
    expect(handle.bot.isLoggedIn).toBe(false);
  });
});
