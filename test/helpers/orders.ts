import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Actor } from '../../src/modules/audit';
import type { ProjectInput, ProjectView, RecordOrderInput, RecordOrderResult } from '../../src/modules/orders';
import type { Staff } from '../../src/modules/staff';
import type { Client } from '../../src/modules/clients';
import type { TestContext } from './context';

/** The audit actor of a staff member, for calling services directly. */
export function staffActor(staff: Staff): Actor {
  return { type: 'staff', id: staff.id, role: staff.role, ip: null, requestId: null };
}

/** A project of the seeded default catalog (see migration ProjectsAndOrders), by code. */
export async function seededProject(t: TestContext, code: string): Promise<ProjectView> {
  const found = (await t.services.orders.listProjects()).find((p) => p.code === code);
  if (!found) throw new Error(`no seeded project '${code}'`);
  return found;
}

/** Adds a project with a unique code (system actor). */
export function createProject(t: TestContext, overrides: Partial<ProjectInput> = {}): Promise<ProjectView> {
  return t.services.orders.createProject(SYSTEM_ACTOR, {
    code: `p_${randomUUID().replace(/-/g, '').slice(0, 20)}`, name: '测试项目', category: 'light', listPriceFen: 100000, bodyArea: 'face', ...overrides,
  });
}

/** A unique external order or refund number. */
export const externalNo = (prefix = 'T') => `${prefix}${randomUUID().replace(/-/g, '').slice(0, 24)}`;

/** Records a paid order through the service (paid an hour before the test clock's now unless said). */
export function recordOrder(
  t: TestContext,
  o: { client: Client; doctor: Staff; items: RecordOrderInput['items']; by?: Actor } & Partial<Omit<RecordOrderInput, 'clientId' | 'doctorId' | 'items'>>,
): Promise<RecordOrderResult> {
  const { client, doctor, by, ...rest } = o;
  return t.services.orders.recordOrder(by ?? SYSTEM_ACTOR, {
    orderNo: externalNo(), paidAt: new Date(t.clock.now().getTime() - 3600_000), ...rest, clientId: client.publicId, doctorId: doctor.publicId,
  });
}
