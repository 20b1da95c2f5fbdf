import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { seedDemoQuestionnaires } from '../../src/modules/questionnaires';

describe('demo questionnaires (npm start)', () => {
  let t: TestContext;
  // Its own database: the demo clients have fixed openids.
  beforeAll(async () => { t = await createTestContext({ isolatedDatabase: true }); });
  afterAll(async () => { await t?.close(); });

  it('the demo clients answer the default questionnaire once: an A, a B and a D lead for their consultant, even with two instances at once', async () => {
    const consultant = await createStaff(t, 'consultant');
    for (const openid of ['demo-openid-lin', 'demo-openid-wang', 'demo-openid-chen']) await createClient(t, { openid, consultantId: consultant.id });

    const [a, b] = await Promise.all([seedDemoQuestionnaires(t.deps, t.services), seedDemoQuestionnaires(t.deps, t.services)]);
    const again = await seedDemoQuestionnaires(t.deps, t.services);

    expect([a + b, again]).toEqual([3, 0]);
    const leads = await t.services.questionnaires.leads({ type: 'staff', id: consultant.id, role: 'consultant', ip: null, requestId: null }, { page: 1, pageSize: 20 });
    expect(leads.items.map((l) => l.leadGrade)).toEqual(['A', 'B', 'D']);
    const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM questionnaire_responses');
    expect(Number(n)).toBe(3);
  });
});
