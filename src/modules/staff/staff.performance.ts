import type { EntityManager } from 'typeorm';
import type { StaffRole } from './staff.entity';

/** Staff of these roles (active or not: a colleague who left still has their period's figures), for reports that name them. */
export async function staffOfRoles(db: Pick<EntityManager, 'query'>, roles: StaffRole[]): Promise<{ id: number; publicId: string; displayName: string; role: StaffRole; active: boolean }[]> {
  const rows: { id: string; publicId: string; displayName: string; role: StaffRole; active: number }[] = await db.query(
    `SELECT id, public_id AS publicId, display_name AS displayName, role, active FROM staff WHERE role IN (${roles.map(() => '?').join(',')}) ORDER BY display_name, id`,
    roles,
  );
  return rows.map((r) => ({ id: Number(r.id), publicId: r.publicId, displayName: r.displayName, role: r.role, active: Boolean(Number(r.active)) }));
}
