import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo, staffActor } from '../helpers/orders';
import { grantHealthConsent } from '../helpers/consultations';
import { GPS_LAT, GPS_LON, TINY_JPEG, jpegHasMetadata, jpegWithGps, pngWithText, rationalBytes, webpWithExif } from '../helpers/images';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { cleanImage } from '../../src/modules/photos';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import type { StaffRole } from '../../src/shared/roles';

const DAY = 24 * 3600_000;
const MAX = 20_000;

describe('progress photos 术后对比照 of the effect-tracking steps', () => {
  let t: TestContext;
  let director: Staff;
  let doctor: Staff;
  const tokens = {} as Record<StaffRole, string>;
  let projectId: string;

  beforeAll(async () => {
    // A database of its own: the due-step scan below turns every due step in it into messages.
    t = await createTestContext({ env: { CARE_PHOTO_MAX_BYTES: String(MAX) }, now: '2030-03-01T02:00:00Z', isolatedDatabase: true });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    for (const role of ['director', 'doctor', 'consultant', 'customer_service'] as StaffRole[]) {
      tokens[role] = await staffToken(t, role === 'director' ? director : role === 'doctor' ? doctor : await createStaff(t, role));
    }
    projectId = (await createProject(t, { category: 'surgery', listPriceFen: 2_000_000, name: '隆鼻' })).id;
  });
  afterAll(() => t?.close());

  /** A client with the health consent, a surgery treated now, and the clock at the 1-month step's due time. */
  async function treatedClient(): Promise<{ client: Client; token: string; treatment: string; dueAt: Date }> {
    t.clock.set('2030-03-01T02:00:00Z');
    const client = await createClient(t);
    await grantHealthConsent(t, client);
    const order = await t.services.orders.recordOrder(staffActor(director), {
      orderNo: externalNo(), clientId: client.publicId, doctorId: doctor.publicId, paidAt: t.clock.now(), items: [{ projectId, amountFen: 2_000_000 }],
    });
    const { treatment } = await t.services.care.recordTreatment(SYSTEM_ACTOR, { requestId: randomUUID(), order: order.id, project: projectId, performedAt: t.clock.now() });
    const steps = await t.services.care.photoStepsOf(t.deps.db.manager, client.id);
    const first = steps.find((s) => s.step === 'effect_1m')!;
    t.clock.set(first.dueAt);
    return { client, token: await clientToken(t, client), treatment: treatment.id, dueAt: first.dueAt };
  }

  const upload = (token: string, treatment: string, body: Buffer, step = 'effect_1m', type = 'image/jpeg') =>
    t.http.post(`/api/mp/photos?treatment=${treatment}&step=${step}`).set(bearer(token)).set('Content-Type', type).send(body);
  const photoCount = async (c: Client) => Number((await t.deps.db.query('SELECT COUNT(*) AS n FROM progress_photos WHERE client_id = ?', [c.id]))[0].n);
  const ownImage = async (token: string, id: string) =>
    t.http.get(`/api/mp/photos/${id}`).set(bearer(token)).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });

  describe('upload', () => {
    it('a JPEG with an EXIF GPS position is stored without it (nor its comment), picture data intact, encrypted at rest', async () => {
      const { client, token, treatment } = await treatedClient();
      const sent = jpegWithGps();

      const res = await upload(token, treatment, sent);

      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ treatment, step: 'effect_1m', contentType: 'image/jpeg', sizeBytes: TINY_JPEG.length });
      const back = (await ownImage(token, res.body.id)).body as Buffer;
      expect(back.equals(TINY_JPEG)).toBe(true);
      expect(jpegHasMetadata(back)).toBe(false);
      expect(back.includes(rationalBytes(GPS_LAT))).toBe(false);
      expect(back.includes(rationalBytes(GPS_LON))).toBe(false);
      const [{ data_enc: stored }] = await t.deps.db.query('SELECT b.data_enc FROM progress_photo_blobs b JOIN progress_photos p ON p.id = b.photo_id WHERE p.client_id = ?', [client.id]);
      expect(stored.includes(Buffer.from('JFIF'))).toBe(false);
      const [audit] = await t.deps.db.query("SELECT details FROM audit_log WHERE action = 'photo.upload' AND client_id = ?", [client.id]);
      expect(audit.details.metadataRemoved).toEqual(['APP1:Exif', 'COM']);
    });

    it('PNG text and EXIF chunks and WebP EXIF chunks (and its header flag) are stripped', async () => {
      const { token, treatment } = await treatedClient();

      const png = await upload(token, treatment, pngWithText(), 'effect_1m', 'image/png');
      const webp = await upload(token, treatment, webpWithExif(), 'effect_1m', 'image/webp');

      expect([png.status, webp.status]).toEqual([201, 201]);
      const pngBack = (await ownImage(token, png.body.id)).body as Buffer;
      const webpBack = (await ownImage(token, webp.body.id)).body as Buffer;
      expect(pngBack.includes(Buffer.from('Shanghai'))).toBe(false);
      expect(pngBack.includes(Buffer.from('eXIf'))).toBe(false);
      expect(pngBack.includes(Buffer.from('IDAT'))).toBe(true);
      expect(webpBack.includes(Buffer.from('EXIF'))).toBe(false);
      expect(webpBack.readUInt32LE(4)).toBe(webpBack.length - 8);
      expect(webpBack[20] & 0x08).toBe(0);
    });

    it('a body that is not a JPEG, PNG or WebP by its bytes is refused whatever its content type, and nothing is stored', async () => {
      const { client, token, treatment } = await treatedClient();
      const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');

      const text = await upload(token, treatment, Buffer.from('not a photo at all'), 'effect_1m', 'image/jpeg');
      const gifRes = await upload(token, treatment, gif, 'effect_1m', 'image/png');
      const truncated = await upload(token, treatment, TINY_JPEG.subarray(0, 40));
      const empty = await upload(token, treatment, Buffer.alloc(0));

      for (const r of [text, gifRes, truncated, empty]) expect(r.body.error).toMatchObject({ code: 'PHOTO_NOT_AN_IMAGE', details: { field: 'body' } });
      expect(text.status).toBe(415);
      expect(truncated.body.error.details.reason).toBe('malformed');
      expect(await photoCount(client)).toBe(0);
    });

    it('the size limit holds to the byte: the limit is accepted, one byte more is 413', async () => {
      const { client, token, treatment } = await treatedClient();
      // Bytes after the end of the image are kept as they are, so the body can be padded to any size.
      const padded = (size: number) => Buffer.concat([TINY_JPEG, Buffer.alloc(size - TINY_JPEG.length)]);

      const over = await upload(token, treatment, padded(MAX + 1));
      const atLimit = await upload(token, treatment, padded(MAX));

      expect(over.status).toBe(413);
      expect(over.body.error).toMatchObject({ code: 'PHOTO_TOO_LARGE', details: { field: 'body', maxBytes: MAX } });
      expect(atLimit.status).toBe(201);
      expect(await photoCount(client)).toBe(1);
    });

    it('opens when the step is due (a minute before: 409), only for the client\'s own treatment, up to 6 a step', async () => {
      const { client, token, treatment, dueAt } = await treatedClient();
      const other = await treatedClient();

      t.clock.set(new Date(dueAt.getTime() - 60_000));
      const early = await upload(token, treatment, TINY_JPEG);
      t.clock.set(dueAt);
      const notMine = await upload(token, other.treatment, TINY_JPEG);
      const laterStep = await upload(token, treatment, TINY_JPEG, 'effect_3m');
      const ok = [];
      for (let i = 0; i < 6; i++) ok.push((await upload(token, treatment, TINY_JPEG)).status);
      const seventh = await upload(token, treatment, TINY_JPEG);

      expect(early.body.error).toMatchObject({ code: 'PHOTO_STEP_NOT_DUE', details: { field: 'query.step' } });
      expect(notMine.status).toBe(404);
      expect(laterStep.body.error.code).toBe('PHOTO_STEP_NOT_DUE');
      expect(ok).toEqual([201, 201, 201, 201, 201, 201]);
      expect(seventh.body.error.code).toBe('PHOTO_STEP_FULL');
      expect(await photoCount(client)).toBe(6);
    });

    it('needs the health-data consent', async () => {
      const { client, token, treatment } = await treatedClient();
      await t.http.delete('/api/mp/me/consents/health').set(bearer(token));

      const res = await upload(token, treatment, TINY_JPEG);

      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
      expect(await photoCount(client)).toBe(0);
    });

    it('the client lists their steps with the photos; another client cannot fetch them', async () => {
      const { token, treatment } = await treatedClient();
      const other = await treatedClient();
      const up = await upload(token, treatment, TINY_JPEG);

      const mine = await t.http.get('/api/mp/photos').set(bearer(token));
      const theirs = await t.http.get(`/api/mp/photos/${up.body.id}`).set(bearer(other.token));

      expect(mine.body.maxBytes).toBe(MAX);
      expect(mine.body.items.map((s: { step: string; open: boolean; photos: unknown[] }) => [s.step, s.open, s.photos.length])).toEqual([
        ['effect_1m', true, 1], ['effect_3m', false, 0], ['effect_6m', false, 0],
      ]);
      expect(theirs.status).toBe(404);
    });
  });

  it('the 1-month effect-tracking message carries a card to the upload page', async () => {
    const { client, dueAt } = await treatedClient();

    await t.services.care.enqueueDue(dueAt);

    const rows: { dedupe_key: string; payload_enc: Buffer }[] = await t.deps.db.query(
      "SELECT dedupe_key, payload_enc FROM outbox_messages WHERE client_id = ? AND kind = 'client_message'", [client.id],
    );
    const effect = rows.map((r) => t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) as { step?: string }).find((p) => p?.step === 'effect_1m');
    expect(effect).toMatchObject({ purpose: 'photo_request', card: { title: '上传术后照片', pagePath: 'packageMe/photos/index' } });
  });

  describe('who sees them', () => {
    it('doctors and the director see a client\'s photos by step (audited); consultants and customer service are refused', async () => {
      const { client, token, treatment } = await treatedClient();
      const up = await upload(token, treatment, TINY_JPEG);

      const lists = await Promise.all((['director', 'doctor', 'consultant', 'customer_service'] as StaffRole[]).map((r) =>
        t.http.get(`/api/staff/clients/${client.publicId}/photos`).set(bearer(tokens[r]))));
      const images = await Promise.all((['director', 'doctor', 'consultant', 'customer_service'] as StaffRole[]).map((r) =>
        t.http.get(`/api/staff/photos/${up.body.id}`).set(bearer(tokens[r]))));

      expect(lists.map((r) => r.status)).toEqual([200, 200, 403, 403]);
      expect(images.map((r) => r.status)).toEqual([200, 200, 403, 403]);
      expect(images[1].headers['content-type']).toBe('image/jpeg');
      expect(lists[1].body.items[0]).toMatchObject({ step: 'effect_1m', project: '隆鼻', photos: [{ id: up.body.id }] });
      const audited = await t.deps.db.query("SELECT action FROM audit_log WHERE client_id = ? AND action IN ('photo.list', 'photo.view') AND allowed = 1", [client.id]);
      expect(audited.length).toBe(4);
    });

    it('a community post cannot carry a progress photo, even when the API\'s host is an allowed image host', async () => {
      const { token, treatment } = await treatedClient();
      const up = await upload(token, treatment, TINY_JPEG);
      const photoUrl = `https://crm.example.com/api/staff/photos/${up.body.id}`;
      const allowing = await createTestContext({ env: { COMMUNITY_IMAGE_HOSTS: 'crm.example.com' }, now: t.clock.now().toISOString() });
      try {
        const token2 = await staffToken(allowing, await createStaff(allowing, 'director'));
        const body = (imageUrl: string) => ({
          title: '术后护理小课堂', text: '每周三晚八点医生直播答疑', imageUrl, audience: { roomTopics: ['美丽学院'] },
          schedule: { kind: 'once', at: new Date(t.clock.now().getTime() + DAY).toISOString() },
        });

        const photoPost = await allowing.http.post('/api/staff/community/posts').set(bearer(token2)).send(body(photoUrl));
        const plainImage = await allowing.http.post('/api/staff/community/posts').set(bearer(token2)).send(body('https://crm.example.com/static/banner.jpg'));

        expect(photoPost.status).toBe(400);
        expect(photoPost.body.error.details).toEqual([expect.objectContaining({ field: 'body.imageUrl' })]);
        expect(plainImage.status).toBe(201);
      } finally {
        await allowing.close();
      }
    });
  });

  describe('erasure and export', () => {
    it('the export lists the photos with their path; deleting the account erases them and their bytes', async () => {
      const { client, token, treatment } = await treatedClient();
      const up = await upload(token, treatment, TINY_JPEG);

      const exported = await t.services.photos.clientDataHooks.exportSections(t.deps.db.manager, client.id);
      const deleted = await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true });

      expect(exported).toEqual({ progressPhotos: [expect.objectContaining({ id: up.body.id, step: 'effect_1m', path: `/api/mp/photos/${up.body.id}` })] });
      expect(deleted.status).toBeLessThan(300);
      expect(await photoCount(client)).toBe(0);
      const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM progress_photo_blobs b WHERE NOT EXISTS (SELECT 1 FROM progress_photos p WHERE p.id = b.photo_id)');
      expect(Number(n)).toBe(0);
    });

    it('withdrawing the health consent erases them; the client may delete one', async () => {
      const a = await treatedClient();
      const b = await treatedClient();
      const one = await upload(b.token, b.treatment, TINY_JPEG);
      await upload(a.token, a.treatment, TINY_JPEG);

      await t.http.delete('/api/mp/me/consents/health').set(bearer(a.token));
      const removed = await t.http.delete(`/api/mp/photos/${one.body.id}`).set(bearer(b.token));

      expect(await photoCount(a.client)).toBe(0);
      expect(removed.status).toBe(204);
      expect(await photoCount(b.client)).toBe(0);
    });
  });

  it('the filter refuses a JPEG whose segments run past its end', () => {
    const broken = Buffer.from(TINY_JPEG);
    broken.writeUInt16BE(0xfff0, 4); // APP0 length beyond the file
    expect(cleanImage(broken)).toEqual({ ok: false, reason: 'malformed' });
  });
});
