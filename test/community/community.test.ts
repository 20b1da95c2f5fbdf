import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import type { TagDimension } from '../../src/modules/tags';
import { bindContact } from '../helpers/feedback';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('community posts', () => {
  let t: TestContext;
  let t2: TestContext;
  let directorToken: string;
  let otherDirectorToken: string;
  let consultantToken: string;

  beforeAll(async () => {
    // Two app instances on one database: the posts task runs on both at once (DESIGN.md).
    [t, t2] = await Promise.all([createTestContext(), createTestContext()]);
    directorToken = await staffToken(t, await createStaff(t, 'director'));
    otherDirectorToken = await staffToken(t, await createStaff(t, 'director'));
    consultantToken = await staffToken(t, await createStaff(t, 'consultant'));
  });
  afterAll(async () => {
    await Promise.all([t?.close(), t2?.close()]);
  });

  const create = (body: object, token = consultantToken) => t.http.post('/api/staff/community/posts').set(bearer(token)).send(body);
  const act = (id: string, action: string, token: string, body?: object) => t.http.post(`/api/staff/community/posts/${id}/${action}`).set(bearer(token)).send(body);
  const inAnHour = () => new Date(t.clock.now().getTime() + HOUR).toISOString();

  /** A post written by the consultant, submitted and approved by a director. */
  async function approvedPost(body: object): Promise<string> {
    const created = await create({ title: '医生直播答疑', text: '本周三晚八点，李医生在线解答术后护理问题。', ...body });
    expect(created.status).toBe(201);
    expect((await act(created.body.id, 'submit', consultantToken)).status).toBe(200);
    const approved = await act(created.body.id, 'approve', directorToken);
    expect(approved.status).toBe(200);
    return created.body.id as string;
  }

  async function outboxOf(postId: string) {
    const rows: Record<string, any>[] = await t.deps.db.query('SELECT * FROM outbox_messages WHERE dedupe_key LIKE ? ORDER BY id', [`post:${postId}:%`]);
    return rows.map((r) => ({ ...r, payload: t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) }) as Record<string, any>);
  }

  /** The posts task, on both instances at once and then once more. */
  async function runTwiceOnTwoInstances(at: Date): Promise<void> {
    t.clock.set(at);
    t2.clock.set(at);
    await Promise.all([t.services.community.runDue(), t2.services.community.runDue()]);
    await t.services.community.runDue();
  }

  it('a post with banned wording is refused with 422, naming each category and its words', async () => {
    const created = await create({
      title: '限时特惠', text: '保证效果，全网最低价！术前术后对比图见评论区。', card: { title: '体验官招募', pagePath: 'pages/promo/index' },
      audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'once', at: inAnHour() },
    });

    const res = await act(created.body.id, 'submit', consultantToken);

    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('POST_NOT_COMPLIANT');
    expect(res.body.error.details).toEqual([
      { category: 'guaranteed_effect', words: ['保证'] },
      { category: 'absolute_terms', words: ['最', '全网'] },
      { category: 'before_after', words: ['术前术后', '对比图'] },
      { category: 'testimonial', words: ['体验官'] },
    ]);
    expect((await t.http.get(`/api/staff/community/posts/${created.body.id}`).set(bearer(consultantToken))).body.status).toBe('draft');
  });

  it('the check sees through full-width forms and spacing, and lets everyday phrases pass', async () => {
    const check = (text: string) => t.http.post('/api/staff/community/compliance-check').set(bearer(consultantToken)).send({ text });

    const evasive = await check('１００％有效，保 证满意，告别颜值焦虑');
    const everyday = await check('最近天气转凉，第一次做光子嫩肤的朋友注意防晒。');

    expect(evasive.body.violations).toEqual([
      { category: 'guaranteed_effect', words: ['保证', '100%'] },
      { category: 'appearance_anxiety', words: ['颜值焦虑'] },
    ]);
    expect(everyday.body).toMatchObject({ compliant: true, violations: [] });
  });

  it('approval needs an approver role other than the author; a rejection can be fixed and resubmitted', async () => {
    const own = await create({ title: '护肤小课堂', text: '换季护肤三步走。', audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'once', at: inAnHour() } }, directorToken);
    expect((await act(own.body.id, 'submit', directorToken)).status).toBe(200);

    const byConsultant = await act(own.body.id, 'approve', consultantToken);
    const byAuthor = await act(own.body.id, 'approve', directorToken);
    const rejected = await act(own.body.id, 'reject', otherDirectorToken, { reason: '请补充医生署名' });

    expect(byConsultant.status).toBe(403);
    expect(byConsultant.body.error.code).toBe('FORBIDDEN');
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.body.error.code).toBe('POST_SELF_APPROVAL');
    expect(rejected.body).toMatchObject({ status: 'rejected', reviewNote: '请补充医生署名' });
    const edited = await t.http.patch(`/api/staff/community/posts/${own.body.id}`).set(bearer(directorToken)).send({ text: '换季护肤三步走。——李医生' });
    expect(edited.body).toMatchObject({ status: 'draft', reviewNote: null });
    expect((await act(own.body.id, 'submit', directorToken)).status).toBe(200);
    const approved = await act(own.body.id, 'approve', otherDirectorToken);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: { id: expect.any(String) }, compliance: { compliant: true } });
    const locked = await t.http.patch(`/api/staff/community/posts/${own.body.id}`).set(bearer(directorToken)).send({ text: '改一下' });
    expect(locked.status).toBe(409);
    expect(locked.body.error.code).toBe('POST_STATUS_CONFLICT');
    expect((await act(own.body.id, 'cancel', directorToken)).body.status).toBe('cancelled');
  });

  it('a weekly post queues one occurrence per week, never twice when the task runs twice, and skips a slot missed too long ago', async () => {
    const start = t.clock.now();
    // Wednesday 2031-01-08, 10:00 in Shanghai: the post is written and approved before its first slot.
    t.clock.set('2031-01-08T02:00:00Z');
    try {
      const id = await approvedPost({ audience: { roomTopics: ['美丽学院1群', '美丽学院2群'] }, schedule: { kind: 'weekly', weekday: 3, time: '19:00' } });

      await runTwiceOnTwoInstances(new Date('2031-01-08T10:59:00Z'));
      expect(await outboxOf(id)).toEqual([]);

      await runTwiceOnTwoInstances(new Date('2031-01-08T11:01:00Z'));
      const first = await outboxOf(id);
      expect(first.map((r) => [r.kind, r.payload.roomTopic])).toEqual([['group_post', '美丽学院1群'], ['group_post', '美丽学院2群']]);
      expect(first[0].payload).toMatchObject({ postId: id, text: expect.stringContaining('医生直播答疑') });

      await runTwiceOnTwoInstances(new Date('2031-01-09T11:01:00Z'));
      expect(await outboxOf(id)).toHaveLength(2);

      await runTwiceOnTwoInstances(new Date('2031-01-15T11:30:00Z'));
      const second = await outboxOf(id);
      expect(second).toHaveLength(4);
      expect(second.map((r) => r.dedupe_key.split(':')[2])).toEqual(['2031-01-08', '2031-01-08', '2031-01-15', '2031-01-15']);

      // The scheduler was down on the 22nd until well past the grace period: that slot is skipped.
      await runTwiceOnTwoInstances(new Date(Date.parse('2031-01-22T11:00:00Z') + (t.config.community.graceHours + 1) * HOUR));
      expect(await outboxOf(id)).toHaveLength(4);

      const post = (await t.http.get(`/api/staff/community/posts/${id}`).set(bearer(consultantToken))).body;
      expect(post).toMatchObject({ status: 'scheduled', lastOccurrence: '2031-01-15', nextAt: '2031-01-29T11:00:00.000Z' });
      const deliveries = (await t.http.get(`/api/staff/community/posts/${id}/deliveries`).set(bearer(consultantToken))).body.items;
      expect(deliveries.map((d: { occurrence: string; target: object }) => [d.occurrence, d.target])).toEqual([
        ['2031-01-15', { kind: 'room_topic', topic: '美丽学院1群' }],
        ['2031-01-15', { kind: 'room_topic', topic: '美丽学院2群' }],
        ['2031-01-08', { kind: 'room_topic', topic: '美丽学院1群' }],
        ['2031-01-08', { kind: 'room_topic', topic: '美丽学院2群' }],
      ]);
      expect(deliveries[0].status).toBe('pending');

      expect((await act(id, 'cancel', consultantToken)).body.status).toBe('cancelled');
      await runTwiceOnTwoInstances(new Date('2031-01-29T11:01:00Z'));
      expect(await outboxOf(id)).toHaveLength(4);
    } finally {
      t.clock.set(start);
      t2.clock.set(start);
    }
  });

  it('a tag-targeted post reaches only the active WeCom-bound clients with a matching tag in every dimension', async () => {
    const start = t.clock.now();
    // Values of this test's own, so clients of other tests never match.
    const nose = `nose_${Date.now().toString(36)}`;
    const postOp = `post_op_${Date.now().toString(36)}`;
    const tagged = async (tags: Partial<Record<TagDimension, string[]>>, status: 'active' | 'deleted' = 'active', bound = true) => {
      const client = await createClient(t, { status });
      if (bound) await bindContact(t, client);
      await t.deps.db.transaction(async (m) => {
        for (const [dimension, values] of Object.entries(tags)) await t.services.tags.setDimension(m, client.id, dimension as TagDimension, values, 'staff');
      });
      return client;
    };
    const both = await tagged({ project: [nose], stage: [postOp] });
    const noseOnly = await tagged({ project: [nose] });
    const stageOnly = await tagged({ project: ['eyes'], stage: [postOp] });
    const many = await tagged({ project: ['eyes', nose], stage: [postOp, 'booked'] });
    const deleted = await tagged({ project: [nose], stage: [postOp] }, 'deleted');
    const unbound = await tagged({ project: [nose], stage: [postOp] }, 'active', false);
    try {
      const id = await approvedPost({
        title: '术后护理提醒', text: '鼻部术后一周内请避免揉压。', card: { title: '术后护理指南', pagePath: 'pages/care/index' },
        audience: { tags: { project: [nose], stage: [postOp] } }, schedule: { kind: 'once', at: inAnHour() },
      });

      await runTwiceOnTwoInstances(new Date(t.clock.now().getTime() + HOUR + 60_000));

      const rows = await outboxOf(id);
      expect(rows.map((r) => r.client_id).sort()).toEqual([both.id, many.id].sort());
      expect(rows.every((r) => r.kind === 'client_message')).toBe(true);
      expect(rows[0].payload).toEqual({ text: '【术后护理提醒】\n鼻部术后一周内请避免揉压。', card: { title: '术后护理指南', pagePath: 'pages/care/index' }, purpose: 'community' });
      for (const c of [noseOnly, stageOnly, deleted, unbound]) expect(rows.some((r) => r.client_id === c.id)).toBe(false);
      const post = (await t.http.get(`/api/staff/community/posts/${id}`).set(bearer(consultantToken))).body;
      expect(post.status).toBe('sent');
      const deliveries = (await t.http.get(`/api/staff/community/posts/${id}/deliveries`).set(bearer(directorToken))).body.items;
      expect(deliveries.map((d: { target: { clientId: string } }) => d.target.clientId).sort()).toEqual([both.publicId, many.publicId].sort());

      await runTwiceOnTwoInstances(new Date(t.clock.now().getTime() + 7 * DAY));
      expect(await outboxOf(id)).toHaveLength(2);
    } finally {
      t.clock.set(start);
      t2.clock.set(start);
    }
  });

  it('bad input is a 400 naming the field; a one-time post in the past cannot be written', async () => {
    const base = { title: '通知', text: '本周六闭馆。', audience: { roomTopics: ['美丽学院1群'] } };

    const past = await create({ ...base, schedule: { kind: 'once', at: new Date(t.clock.now().getTime() - HOUR).toISOString() } });
    const badTag = await create({ ...base, audience: { tags: { shoe_size: ['38'] } }, schedule: { kind: 'weekly', weekday: 3, time: '19:00' } });
    const badTime = await create({ ...base, schedule: { kind: 'weekly', weekday: 8, time: '25:00' } });
    const badImage = await create({ ...base, imageUrl: 'javascript:alert(1)', schedule: { kind: 'weekly', weekday: 3, time: '19:00' } });

    expect(past.status).toBe(400);
    expect(past.body.error.details[0].field).toBe('body.schedule.at');
    for (const res of [badTag, badTime, badImage]) expect(res.status).toBe(400);
    expect(badImage.body.error.details[0].field).toBe('body.imageUrl');
  });

  it('community reaches other modules only through their index', () => {
    const dir = join(__dirname, '../../src/modules/community');
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect([file, source.match(/from '\.\.\/[^'./]+\/[^']+'/g) ?? []]).toEqual([file, []]);
    }
  });
});
