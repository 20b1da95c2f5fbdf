import type { Deps } from '../../shared/deps';
import type { StaffRole } from '../../shared/roles';
import type { StaffService } from '../staff';
import type { CommunityService } from '../community';
import type { QuestionnairesService } from '../questionnaires';
import { AppError } from '../../shared/errors';
import { isDuplicateKey } from '../../shared/db';
import { ClientErrors, type ClientsService } from '../clients';
import { seedDemoQuestionnaires } from '../questionnaires';

export interface DemoSummary {
  staff: { role: StaffRole; username: string; password: string }[];
  clients: number;
}

// Development-only accounts; the seed never runs in production unless DEMO_SEED is set on purpose.
const DEMO_STAFF: { role: StaffRole; username: string; displayName: string; password: string }[] = [
  { role: 'director', username: 'director', displayName: '张院长', password: 'Demo-Director-2026' },
  { role: 'doctor', username: 'doctor', displayName: '李医生', password: 'Demo-Doctor-2026' },
  { role: 'consultant', username: 'consultant', displayName: '周咨询师', password: 'Demo-Consultant-2026' },
  { role: 'customer_service', username: 'service', displayName: '吴客服', password: 'Demo-Service-2026' },
];

const DEMO_CLIENTS = [
  { openid: 'demo-openid-lin', name: '林晓雯', phone: '13800138001', gender: 'female' as const, birthDate: '1994-05-12', address: '上海市静安区南京西路 1266 号', source: 'xiaohongshu' },
  { openid: 'demo-openid-wang', name: '王丽娟', phone: '13800138002', gender: 'female' as const, birthDate: '1988-11-03', address: '上海市徐汇区漕溪北路 88 号', source: 'douyin' },
  { openid: 'demo-openid-chen', name: '陈志明', phone: '13800138003', gender: 'male' as const, birthDate: '1990-02-20', address: '上海市浦东新区世纪大道 100 号', source: 'walk_in' },
];

/** Loads demo staff of every role and a few clients, once: existing rows are left as they are. */
/** The services the demo seed writes through. */
export interface DemoServices {
  staff: StaffService;
  clients: ClientsService;
  community: CommunityService;
  questionnaires: QuestionnairesService;
}

export async function seedDemo(deps: Deps, services: DemoServices): Promise<DemoSummary> {
  const log = deps.logger.child({ module: 'demo' });
  const staff = [];
  for (const s of DEMO_STAFF) staff.push(await services.staff.ensureStaff(s));
  const consultant = staff.find((s) => s.role === 'consultant')!;
  let created = 0;
  for (const c of DEMO_CLIENTS) {
    if (await services.clients.existsByOpenid(c.openid)) continue;
    try {
      await services.clients.createClient({
        openid: c.openid, name: c.name, phone: c.phone, gender: c.gender, birthDate: c.birthDate, address: c.address,
        consultantId: consultant.id, sourceChannel: c.source, firstTouch: { utmSource: c.source, at: deps.clock.now().toISOString() },
      });
      created++;
    } catch (err) {
      // Another instance booting at the same moment created it first (its openid or its phone wins the unique index).
      if (!isDuplicateKey(err) && !(err instanceof AppError && err.code === ClientErrors.PHONE_IN_USE)) throw err;
    }
  }
  // The weekly live Q&A announcement to the simulated client group (issue 5, community posts).
  await services.community.ensureDemoPost(staff.find((s) => s.role === 'doctor')!.id, staff.find((s) => s.role === 'director')!.id);
  // The demo clients answer the intent questionnaire once (leads for the consultant, a response for the doctor).
  await seedDemoQuestionnaires(deps, services);
  if (created) log.info({ clients: created, staff: staff.length }, 'demo data loaded');
  return { staff: DEMO_STAFF.map(({ role, username, password }) => ({ role, username, password })), clients: created };
}
