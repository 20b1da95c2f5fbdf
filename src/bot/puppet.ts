import type * as PUPPET from 'wechaty-puppet';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import type { Config } from '../config';

/** A simulated WeCom: the bot's own account, a few client contacts and one client group. */
export interface SimulatedWeCom {
  mocker: mock.Mocker;
  self: mock.ContactMock;
  contacts: mock.ContactMock[];
  room: mock.RoomMock;
}

export const DEMO_CONTACTS = [
  { name: '林小姐', alias: 'wecom-demo-lin' },
  { name: '王女士', alias: 'wecom-demo-wang' },
  { name: '陈先生', alias: 'wecom-demo-chen' },
];

export function simulatedWeCom(): SimulatedWeCom {
  const mocker = new mock.Mocker();
  const self = mocker.createContact({ name: '美颜医院·客户经理小美' });
  const contacts = DEMO_CONTACTS.map((c) => mocker.createContact({ name: c.name, alias: c.alias }));
  const room = mocker.createRoom({ topic: '美丽学院·客户交流群', memberIdList: [self.id, ...contacts.map((c) => c.id)] });
  // The mocker logs the account in once the puppet has started.
  mocker.use(() => {
    mocker.login(self);
    return () => undefined;
  });
  return { mocker, self, contacts, room };
}

/** The puppet by configuration: the mock for local runs and tests, puppet-service for a real WeCom account. */
export async function createPuppet(cfg: Config['bot'], simulated?: SimulatedWeCom): Promise<{ puppet: PUPPET.impls.PuppetInterface; simulated?: SimulatedWeCom }> {
  if (cfg.puppet === 'mock') {
    const sim = simulated ?? simulatedWeCom();
    return { puppet: new PuppetMock({ mocker: sim.mocker }) as unknown as PUPPET.impls.PuppetInterface, simulated: sim };
  }
  let mod: { PuppetService: new (opts: { token: string }) => PUPPET.impls.PuppetInterface };
  try {
    // Loaded only when configured, so local runs do not pay for gRPC.
    mod = require('wechaty-puppet-service');
  } catch {
    throw new Error('BOT_PUPPET=service needs the package wechaty-puppet-service (npm install wechaty-puppet-service)');
  }
  return { puppet: new mod.PuppetService({ token: cfg.puppetToken }) };
}
