import { Client } from '../../src/modules/clients/clients.entity';
import { Staff, StaffRole } from '../../src/modules/staff/staff.entity';
import { hashPassword, publicId, randomCode } from '../../src/shared/crypto';
import type { TestContext } from './context';

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Inserts a bare client row (as the first WeChat login would) and returns it. */
export async function createClient(t: TestContext, overrides: Partial<Client> = {}): Promise<Client> {
  const repo = t.deps.db.getRepository(Client);
  const row = repo.create({
    publicId: publicId(),
    openid: `o_test_${unique()}`,
    unionid: null,
    referralCode: randomCode(8),
    gender: 'unknown',
    stage: 'lead',
    status: 'active',
    ...overrides,
  });
  return repo.save(row);
}

/** A live mini-program session for a client, as login would issue it. */
export async function clientToken(t: TestContext, client: Client): Promise<string> {
  const s = await t.services.sessions.create({ kind: 'client', clientId: client.id, publicId: client.publicId }, 3600);
  return s.token;
}

export const TEST_PASSWORD = 'Correct-Horse-42';
const cachedHash = new Map<number, Promise<string>>();

/** Inserts an active staff member of a role (password TEST_PASSWORD). */
export async function createStaff(t: TestContext, role: StaffRole, overrides: Partial<Staff> = {}): Promise<Staff> {
  // At the context's cost, so logins neither pay another cost nor get rehashed.
  const N = t.config.auth.staffPasswordScryptN;
  if (!cachedHash.has(N) && overrides.passwordHash === undefined) cachedHash.set(N, hashPassword(TEST_PASSWORD, { N, r: 8, p: 1 }));
  const repo = t.deps.db.getRepository(Staff);
  return repo.save(
    repo.create({
      publicId: publicId(),
      username: `${role}_${unique()}`,
      displayName: `测试${role}`,
      role,
      passwordHash: await cachedHash.get(N),
      failedAttempts: 0,
      lockedUntil: null,
      active: true,
      ...overrides,
    }),
  );
}

/** A live staff session, as staff login would issue it. */
export async function staffToken(t: TestContext, staff: Staff): Promise<string> {
  const s = await t.services.sessions.create({ kind: 'staff', staffId: staff.id, publicId: staff.publicId, role: staff.role }, 3600);
  return s.token;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
