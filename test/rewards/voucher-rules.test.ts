import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { seededProject } from '../helpers/orders';
import type { Staff } from '../../src/modules/staff';

const DAY = 86400_000;

let t: TestContext;
let director: string;
let directorStaff: Staff;
beforeAll(async () => {
  // A database of its own: this file changes the shared voucher_rules rows other files issue by.
  t = await createTestContext({ now: '2026-11-02T02:00:00Z', isolatedDatabase: true });
  directorStaff = await createStaff(t, 'director');
  director = await staffToken(t, directorStaff);
});
afterAll(() => t.close());

const patch = (code: string, body: Record<string, unknown>, token = director) => t.http.patch(`/api/staff/voucher-rules/${code}`).set(bearer(token)).send(body);
const ruleRow = async (code: string) => (await t.deps.db.query('SELECT * FROM voucher_rules WHERE rule = ?', [code]))[0];

describe('the director sees and changes what each rule gives', () => {
  it('lists every rule with what it gives, for the director only', async () => {
    const res = await t.http.get('/api/staff/voucher-rules').set(bearer(director));
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { code: string }) => r.code)).toEqual(expect.arrayContaining(['care_3m', 'birthday', 'gift_6m', 'winback_percent', 'leaderboard_quarter']));
    expect(res.body.items.find((r: { code: string }) => r.code === 'birthday')).toMatchObject({
      kind: 'percent_off', percent: 20, capFen: 50_000, valueFen: null, projects: null, validDays: 30, active: true, text: '8折券（最高减¥500）',
    });
    for (const role of ['customer_service', 'consultant', 'doctor'] as const) {
      const token = await staffToken(t, await createStaff(t, role));
      expect((await t.http.get('/api/staff/voucher-rules').set(bearer(token))).status).toBe(403);
      expect((await patch('care_3m', { valueFen: 1 }, token)).status).toBe(403);
    }
  });

  it('a change applies to vouchers issued afterwards; vouchers already issued keep what they were issued with (audited)', async () => {
    const [before, after] = [await createClient(t), await createClient(t)];
    const filler = await seededProject(t, 'hyaluronic_filler');
    const [old] = await t.services.rewards.issueByRule(null, 'care_3m', [{ clientId: before.id, period: 'o1' }]);
    expect(old).toMatchObject({ valueFen: 10_000, projects: null });

    const res = await patch('care_3m', { valueFen: 15_050, validDays: 45, projects: [filler.code], title: '专属关怀礼（新）' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 'care_3m', kind: 'amount_off', valueFen: 15_050, validDays: 45, projects: ['hyaluronic_filler'], text: '¥150.5 代金券' });

    const [fresh] = await t.services.rewards.issueByRule(null, 'care_3m', [{ clientId: after.id, period: 'o2' }]);
    expect(fresh).toMatchObject({ valueFen: 15_050, title: '专属关怀礼（新）', projects: ['hyaluronic_filler'] });
    expect(fresh.expiresAt.getTime() - t.clock.now().getTime()).toBeGreaterThan(45 * DAY);
    const [kept] = await t.deps.db.query('SELECT value_fen, title, projects, expires_at FROM vouchers WHERE public_id = ?', [old.id]);
    expect({ valueFen: Number(kept.value_fen), title: kept.title, projects: kept.projects }).toEqual({ valueFen: 10_000, title: '专属关怀礼代金券', projects: null });
    expect(kept.expires_at).toEqual(old.expiresAt);

    const [audit] = await t.deps.db.query(
      "SELECT actor_id, details FROM audit_log WHERE action = 'voucher_rule.update' AND JSON_VALUE(details, '$.rule') = 'care_3m' ORDER BY id DESC LIMIT 1",
    );
    const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
    expect(Number(audit.actor_id)).toBe(directorStaff.id);
    expect(details).toMatchObject({ before: { valueFen: 10_000, validDays: 30, projects: null }, after: { valueFen: 15_050, validDays: 45, projects: ['hyaluronic_filler'] } });
  });

  it('switching a rule off issues nothing afterwards; switching it on again issues', async () => {
    const c = await createClient(t);
    expect((await patch('skin_test', { active: false })).body.active).toBe(false);
    expect(await t.services.rewards.issueByRule(null, 'skin_test', [{ clientId: c.id, period: 'off' }])).toEqual([]);
    expect((await patch('skin_test', { active: true })).body.active).toBe(true);
    expect(await t.services.rewards.issueByRule(null, 'skin_test', [{ clientId: c.id, period: 'on' }])).toEqual([expect.objectContaining({ kind: 'free_service', service: '皮肤检测' })]);
  });

  it('changing the kind clears the fields the old kind used and needs the new kind\'s', async () => {
    const missing = await patch('gift_6m', { kind: 'percent_off' });
    expect([missing.status, missing.body.error.code, missing.body.error.details[0].field]).toEqual([400, 'VALIDATION_FAILED', 'body.percent']);
    const res = await patch('gift_6m', { kind: 'percent_off', percent: 25, capFen: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'percent_off', percent: 25, capFen: null, valueFen: null, text: '7.5折券' });
    expect(await ruleRow('gift_6m')).toMatchObject({ kind: 'percent_off', value_fen: null, percent: 25 });
  });
});

describe('a change that does not fit is refused with the field at fault, and nothing is written', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    ['a percentage of 0', 'birthday', { percent: 0 }, 'body.percent'],
    ['a percentage of 100', 'birthday', { percent: 100 }, 'body.percent'],
    ['an amount of 0 fen', 'winback_amount', { valueFen: 0 }, 'body.valueFen'],
    ['an amount in yuan with decimals', 'winback_amount', { valueFen: 99.5 }, 'body.valueFen'],
    ['a cap of 0', 'birthday', { capFen: 0 }, 'body.capFen'],
    ['0 validity days', 'birthday', { validDays: 0 }, 'body.validDays'],
    ['over ten years of validity', 'birthday', { validDays: 3651 }, 'body.validDays'],
    ['an empty title', 'birthday', { title: '  ' }, 'body.title'],
    ['a free service without saying what', 'winback_care', { service: null }, 'body.service'],
    ['an amount-off rule losing its amount', 'winback_amount', { valueFen: null }, 'body.valueFen'],
    ['an empty project list (null is any project)', 'birthday', { projects: [] }, 'body.projects'],
    ['a project not in the catalog', 'birthday', { projects: ['no_such_project'] }, 'body.projects'],
    ['an unknown field', 'birthday', { discount: 5 }, 'body.discount'],
  ];
  it.each(cases)('%s', async (_what, code, body, field) => {
    const before = await ruleRow(code);
    const res = await patch(code, body);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await ruleRow(code)).toEqual(before);
  });

  it('accepts the edges: 1 and 99 percent, 1 fen, 1 and 3650 days', async () => {
    expect((await patch('repurchase', { percent: 1, capFen: 1, validDays: 1 })).body).toMatchObject({ percent: 1, capFen: 1, validDays: 1 });
    expect((await patch('repurchase', { percent: 99, validDays: 3650 })).body).toMatchObject({ percent: 99, validDays: 3650 });
    expect((await patch('winback_amount', { valueFen: 1 })).body).toMatchObject({ valueFen: 1, text: '¥0.01 代金券' });
  });

  it('an unknown rule is 404; an empty change is 400', async () => {
    expect((await patch('no_such_rule', { active: false })).status).toBe(404);
    expect((await patch('birthday', {})).status).toBe(400);
  });
});

describe('a client\'s vouchers for staff (the money section of the access rule)', () => {
  it('lists them newest first with status, validity and what each gives, for roles reaching the client\'s money; audited', async () => {
    const consultant = await createStaff(t, 'consultant');
    const c = await createClient(t, { consultantId: consultant.id });
    const [used] = await t.services.rewards.issueByRule(null, 'winback_amount', [{ clientId: c.id, period: 'u' }]);
    const [expired] = await t.services.rewards.issueByRule(null, 'birthday', [{ clientId: c.id, period: 'x' }]);
    const [open] = await t.services.rewards.issueByRule(null, 'leaderboard_month', [{ clientId: c.id, period: 'y' }]);
    await t.deps.db.query("UPDATE vouchers SET status = 'used', used_at = ? WHERE public_id = ?", [t.clock.now(), used.id]);
    await t.deps.db.query('UPDATE vouchers SET expires_at = ? WHERE public_id = ?', [new Date(t.clock.now().getTime() - 1000), expired.id]);

    const res = await t.http.get(`/api/staff/clients/${c.publicId}/vouchers`).set(bearer(await staffToken(t, consultant)));
    expect(res.status).toBe(200);
    expect(res.body.items.map((v: { id: string; status: string }) => [v.id, v.status])).toEqual([[open.id, 'issued'], [expired.id, 'expired'], [used.id, 'used']]);
    expect(res.body.items[0]).toMatchObject({ source: 'rule', benefit: { kind: 'amount_off', valueFen: 50_000, text: '¥500 代金券' }, expiresAt: open.expiresAt.toISOString() });
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'voucher.list' AND client_id = ? AND actor_id = ?", [c.id, consultant.id]);
    expect(Number(n)).toBe(1);

    const another = await staffToken(t, await createStaff(t, 'consultant'));
    expect((await t.http.get(`/api/staff/clients/${c.publicId}/vouchers`).set(bearer(another))).status).toBe(404);
    const desk = await staffToken(t, await createStaff(t, 'customer_service'));
    expect((await t.http.get(`/api/staff/clients/${c.publicId}/vouchers`).set(bearer(desk))).body.items).toHaveLength(3);
  });
});
