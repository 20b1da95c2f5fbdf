import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff';

const HOUR = 3600_000;

describe('community posts: who may edit, submit, cancel and approve; edits audited; images from allowed hosts only', () => {
  let t: TestContext;
  let author: { staff: Staff; token: string };
  let colleague: { staff: Staff; token: string };
  let director: { staff: Staff; token: string };
  let otherDirector: { staff: Staff; token: string };

  beforeAll(async () => {
    t = await createTestContext({ env: { COMMUNITY_IMAGE_HOSTS: 'cdn.meiyan-hospital.example,img.meiyan-hospital.example' } });
    const as = async (role: Staff['role']) => { const staff = await createStaff(t, role); return { staff, token: await staffToken(t, staff) }; };
    [author, colleague, director, otherDirector] = await Promise.all([as('consultant'), as('consultant'), as('director'), as('director')]);
  });
  afterAll(async () => { await t.close(); });

  const inAnHour = () => new Date(t.clock.now().getTime() + HOUR).toISOString();
  const draft = (over: object = {}, token = author.token) => t.http.post('/api/staff/community/posts').set(bearer(token)).send({
    title: '医生直播答疑', text: '本周三晚八点，李医生在线解答术后护理问题。', audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'once', at: inAnHour() }, ...over,
  });
  const patch = (id: string, body: object, token: string) => t.http.patch(`/api/staff/community/posts/${id}`).set(bearer(token)).send(body);
  const act = (id: string, action: string, token: string, body?: object) => t.http.post(`/api/staff/community/posts/${id}/${action}`).set(bearer(token)).send(body);
  const get = async (id: string) => (await t.http.get(`/api/staff/community/posts/${id}`).set(bearer(author.token))).body;

  it('a colleague who is not the author cannot change, submit or cancel the draft (403 POST_NOT_AUTHOR); nothing changes', async () => {
    const id = (await draft()).body.id as string;

    const changed = await patch(id, { text: '改成别的内容，看看能不能发出去。' }, colleague.token);
    const submitted = await act(id, 'submit', colleague.token);
    const cancelled = await act(id, 'cancel', colleague.token);

    for (const res of [changed, submitted, cancelled]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('POST_NOT_AUTHOR');
    }
    expect(await get(id)).toMatchObject({ status: 'draft', text: '本周三晚八点，李医生在线解答术后护理问题。' });
    // The author can.
    expect((await patch(id, { title: '李医生直播答疑' }, author.token)).status).toBe(200);
    expect((await act(id, 'submit', author.token)).status).toBe(200);
  });

  it('the director may edit a post, but then not approve it: another approver does', async () => {
    const id = (await draft()).body.id as string;
    expect((await patch(id, { text: '本周三晚八点，李医生在线解答术后护理与防晒问题。' }, director.token)).status).toBe(200);
    expect((await act(id, 'submit', author.token)).status).toBe(200);

    const own = await act(id, 'approve', director.token);

    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('POST_SELF_APPROVAL');
    expect((await get(id)).status).toBe('pending_approval');
    expect((await act(id, 'approve', otherDirector.token)).status).toBe(200);
  });

  it('every edit is audited with who and which fields (not the content), and kept with the post', async () => {
    const id = (await draft()).body.id as string;

    await patch(id, { text: '本周四晚八点，王医生在线答疑。', title: '王医生直播' }, author.token);
    await patch(id, { schedule: { kind: 'weekly', weekday: 4, time: '20:00' } }, director.token);

    const audit: { actor_id: number; details: string | Record<string, unknown> }[] = await t.deps.db.query(
      "SELECT actor_id, details FROM audit_log WHERE action = 'community.post.update' AND JSON_UNQUOTE(JSON_EXTRACT(details, '$.post')) = ? ORDER BY id", [id],
    );
    expect(audit.map((a) => ({ actor: Number(a.actor_id), details: typeof a.details === 'string' ? JSON.parse(a.details) : a.details }))).toEqual([
      { actor: author.staff.id, details: { post: id, fields: ['text', 'title'] } },
      { actor: director.staff.id, details: { post: id, fields: ['schedule'] } },
    ]);
    const edits: { staff_id: number }[] = await t.deps.db.query(
      'SELECT e.staff_id FROM community_post_edits e JOIN community_posts p ON p.id = e.post_id WHERE p.public_id = ? ORDER BY e.id', [id],
    );
    expect(edits.map((e) => Number(e.staff_id))).toEqual([author.staff.id, director.staff.id]);
  });

  it('an approved post may be stopped by an approver or its author, not by another colleague', async () => {
    const id = (await draft()).body.id as string;
    await act(id, 'submit', author.token);
    expect((await act(id, 'approve', director.token)).status).toBe(200);

    const byColleague = await act(id, 'cancel', colleague.token);
    expect(byColleague.status).toBe(403);
    expect(byColleague.body.error.code).toBe('POST_NOT_AUTHOR');
    expect((await act(id, 'cancel', otherDirector.token)).status).toBe(200);
  });

  it('a post image must be an HTTPS address on an allowed host (400 on body.imageUrl); the bot fetches nothing else', async () => {
    const allowed = await draft({ imageUrl: 'https://cdn.meiyan-hospital.example/posts/live.png' });
    expect(allowed.status).toBe(201);

    for (const imageUrl of [
      'https://evil.example/live.png', 'https://cdn.meiyan-hospital.example.evil.example/x.png', 'https://user:pw@cdn.meiyan-hospital.example/x.png',
      'https://cdn.meiyan-hospital.example:8443/x.png', 'https://169.254.169.254/latest/meta-data',
    ]) {
      const refused = await draft({ imageUrl });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'body.imageUrl' })] });
    }
    const changed = await patch(allowed.body.id, { imageUrl: 'https://evil.example/live.png' }, author.token);
    expect(changed.status).toBe(400);
    expect(changed.body.error.details[0].field).toBe('body.imageUrl');
    expect((await get(allowed.body.id)).imageUrl).toBe('https://cdn.meiyan-hospital.example/posts/live.png');
  });

  it('without COMMUNITY_IMAGE_HOSTS no image is accepted at all', async () => {
    const bare = await createTestContext();
    try {
      const token = await staffToken(bare, await createStaff(bare, 'consultant'));
      const res = await bare.http.post('/api/staff/community/posts').set(bearer(token)).send({
        title: '医生直播答疑', text: '本周三晚八点答疑。', imageUrl: 'https://cdn.meiyan-hospital.example/x.png',
        audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'weekly', weekday: 3, time: '20:00' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe('body.imageUrl');
    } finally {
      await bare.close();
    }
  });
});
