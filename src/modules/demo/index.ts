import { randomBytes } from 'node:crypto';
import type { Deps } from '../../shared/deps';
import type { StaffRole } from '../../shared/roles';
import { SYSTEM_ACTOR } from '../audit';
import { readLocalJson, writeLocalJson } from '../../config/local';
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
  /** Where the demo passwords are kept for the developer (0600). */
  passwordsFile: string;
}

// Development-only accounts (production refuses DEMO_SEED). Their passwords are this
// installation's own: random at the first seed, or DEMO_STAFF_PASSWORD for scripted runs.
const DEMO_STAFF: { role: StaffRole; username: string; displayName: string }[] = [
  { role: 'director', username: 'director', displayName: '张院长' },
  { role: 'doctor', username: 'doctor', displayName: '李医生' },
  { role: 'consultant', username: 'consultant', displayName: '周咨询师' },
  { role: 'customer_service', username: 'service', displayName: '吴客服' },
];
const PASSWORDS_FILE = 'demo-staff.json';

/** 72 random bits; the fixed prefix gives the mix of letter cases the staff password rule asks for. */
function randomDemoPassword(): string {
  return `Demo-${randomBytes(9).toString('base64url')}`;
}

/**
 * The demo accounts with this installation's passwords. A demo account whose password is not the
 * one kept for it (an older seed with the once well-known passwords, a lost file, a new
 * DEMO_STAFF_PASSWORD) gets it set; only the hash is stored, the developer reads the kept file.
 */
async function seedDemoStaff(deps: Deps, services: Pick<DemoServices, 'staff'>) {
  const { localDir, demoStaffPassword } = deps.config;
  const kept = readLocalJson<Record<string, string>>(localDir, PASSWORDS_FILE) ?? {};
  const passwords: Record<string, string> = {};
  const staff = [];
  for (const s of DEMO_STAFF) {
    const password = demoStaffPassword ?? kept[s.username] ?? randomDemoPassword();
    passwords[s.username] = password;
    const account = await services.staff.ensureStaff({ ...s, password });
    if (kept[s.username] !== password) await services.staff.resetPassword(SYSTEM_ACTOR, account.publicId, password);
    staff.push(account);
  }
  const passwordsFile = writeLocalJson(localDir, PASSWORDS_FILE, passwords);
  return { staff, passwords, passwordsFile };
}

const DEMO_CLIENTS = [
  { openid: 'demo-openid-lin', name: '林晓雯', phone: '13800138001', gender: 'female' as const, birthDate: '1994-05-12', address: '上海市静安区南京西路 1266 号', source: 'xiaohongshu' },
  { openid: 'demo-openid-wang', name: '王丽娟', phone: '13800138002', gender: 'female' as const, birthDate: '1988-11-03', address: '上海市徐汇区漕溪北路 88 号', source: 'douyin' },
  { openid: 'demo-openid-chen', name: '陈志明', phone: '13800138003', gender: 'male' as const, birthDate: '1990-02-20', address: '上海市浦东新区世纪大道 100 号', source: 'walk_in' },
];

/** The services the demo seed writes through. */
export interface DemoServices {
  staff: StaffService;
  clients: ClientsService;
  community: CommunityService;
  questionnaires: QuestionnairesService;
  /** WeCom's official API: the stand-in's staff userids are mapped to the demo staff. */
  wecomOfficial?: { linkStaffUser(userid: string, staffId: number): Promise<void> };
}

// The WeCom stand-in's corp members (its default users) and who they are in the demo: a client
// played adding `zhangsan` lands on the demo consultant, `lisi` on customer service.
const DEMO_WECOM_USERS: { userid: string; role: StaffRole }[] = [
  { userid: 'zhangsan', role: 'consultant' },
  { userid: 'lisi', role: 'customer_service' },
];

/** Loads demo staff of every role and a few clients, once: existing rows are left as they are. */
export async function seedDemo(deps: Deps, services: DemoServices): Promise<DemoSummary> {
  const log = deps.logger.child({ module: 'demo' });
  const { staff, passwords, passwordsFile } = await seedDemoStaff(deps, services);
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
  if (deps.config.wecom.official && deps.config.wecom.standIn && services.wecomOfficial) {
    for (const u of DEMO_WECOM_USERS) {
      // Another instance booting at the same moment mapped it first: the same mapping.
      await services.wecomOfficial.linkStaffUser(u.userid, staff.find((s) => s.role === u.role)!.id).catch((err) => { if (!isDuplicateKey(err)) throw err; });
    }
  }
  // The weekly live Q&A announcement to the simulated client group.
  await services.community.ensureDemoPost(staff.find((s) => s.role === 'doctor')!.id, staff.find((s) => s.role === 'director')!.id);
  // The demo clients answer the intent questionnaire once (leads for the consultant, a response for the doctor).
  await seedDemoQuestionnaires(deps, services);
  if (created) log.info({ clients: created, staff: staff.length }, 'demo data loaded');
  return { staff: DEMO_STAFF.map(({ role, username }) => ({ role, username, password: passwords[username] })), clients: created, passwordsFile };
}
