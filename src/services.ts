import type { DataSource } from 'typeorm';
import type { Config } from './config';
import type { Redis } from './shared/redis';
import type { Clock } from './shared/clock';
import type { Logger } from './shared/logger';
import { FieldCipher } from './shared/crypto';
import { SessionStore } from './modules/auth/sessions';
import { AuditService } from './modules/audit';
import { WeChatClient } from './integrations/wechat/wechat.client';
import type { WeChatApi } from './integrations/wechat/types';
import { ClientsService } from './modules/clients';
import { StaffService } from './modules/staff';
import { MpAuthService } from './modules/auth';
import { PointsService } from './modules/points';
import { RewardsService } from './modules/rewards';
import { OutboxService } from './modules/outbox';
import { TagsService } from './modules/tags';
import { JourneyService } from './modules/journey';

/** The outside world a process is given: configuration, connections, the clock and the logger. */
export interface Deps {
  config: Config;
  db: DataSource;
  redis: Redis;
  clock: Clock;
  logger: Logger;
}

/** Every module service, built once per process; routes, the bot and the scheduler all call these. */
export interface Services {
  cipher: FieldCipher;
  sessions: SessionStore;
  audit: AuditService;
  wechat: WeChatApi;
  clients: ClientsService;
  staff: StaffService;
  mpAuth: MpAuthService;
  points: PointsService;
  rewards: RewardsService;
  outbox: OutboxService;
  tags: TagsService;
  journey: JourneyService;
}

export function createServices(deps: Deps, overrides: Partial<Pick<Services, 'wechat'>> = {}): Services {
  const { config, db, redis, clock, logger } = deps;
  const outbox = new OutboxService({ db, clock });
  const tags = new TagsService({ db, outbox });
  const journey = new JourneyService({ db, clock, tags });
  const cipher = new FieldCipher(config.crypto.dataKeys, config.crypto.currentKeyVersion, config.crypto.blindIndexKey);
  const sessions = new SessionStore(redis);
  const audit = new AuditService(db, clock);
  const wechat = overrides.wechat ?? new WeChatClient(config.wechat, redis, logger.child({ module: 'wechat' }));
  const clients = new ClientsService({ db, config, clock, cipher, audit, wechat, sessions, journey, logger: logger.child({ module: 'clients' }) });
  const staff = new StaffService({ db, config, clock, sessions, audit, redis });
  const mpAuth = new MpAuthService({ db, redis, config, clock, wechat, sessions, clients, logger: logger.child({ module: 'auth' }) });
  const points = new PointsService({ db, config, clock, audit, logger: logger.child({ module: 'points' }) });
  const rewards = new RewardsService({ db, config, clock, audit, points });
  return { cipher, sessions, audit, wechat, clients, staff, mpAuth, points, rewards, outbox, tags, journey };
}
