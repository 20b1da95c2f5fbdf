import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Actor } from '../../src/modules/audit';
import type { RecordTreatmentInput } from '../../src/modules/care';
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

/**
 * Records a paid order through the service (paid an hour before the test clock's now unless said)
 * and, unless `treated: false`, a treatment of each of its projects at the paid time (largest
 * item first), which starts the follow-up plans as a same-day procedure would.
 */
export async function recordOrder(
  t: TestContext,
  o: { client: Client; doctor: Staff; items: RecordOrderInput['items']; by?: Actor; treated?: boolean } & Partial<Omit<RecordOrderInput, 'clientId' | 'doctorId' | 'items'>>,
): Promise<RecordOrderResult> {
  const { client, doctor, by, treated, ...rest } = o;
  const order = await t.services.orders.recordOrder(by ?? SYSTEM_ACTOR, {
    orderNo: externalNo(), paidAt: new Date(t.clock.now().getTime() - 3600_000), ...rest, clientId: client.publicId, doctorId: doctor.publicId,
  });
  if (treated !== false) {
    // Staff who may not see procedures get the items without their projects: read them as the system.
    const full = order.items.some((i) => !i.project) ? await t.services.orders.getOrder(SYSTEM_ACTOR, order.id) : order;
    const projects = [...full.items].sort((a, b) => b.amountFen - a.amountFen).map((i) => i.project!.id);
    for (const project of new Set(projects)) {
      await t.services.care.recordTreatment(SYSTEM_ACTOR, { requestId: `${order.id}_${project}`, order: order.id, project, performedAt: new Date(order.paidAt) });
    }
  }
  return order;
}

/** Records a treatment of an order's project through the service (system actor unless said). */
export function recordTreatment(
  t: TestContext, o: { order: string; project: string; performedAt: Date; by?: Actor } & Partial<RecordTreatmentInput>,
): ReturnType<TestContext['services']['care']['recordTreatment']> {
  const { by, ...rest } = o;
  return t.services.care.recordTreatment(by ?? SYSTEM_ACTOR, { requestId: randomUUID(), ...rest });
}
