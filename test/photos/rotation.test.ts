import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient } from '../helpers/factories';
import { TINY_JPEG } from '../helpers/images';
import { reencryptAll } from '../../src/cli/reencrypt';
import { MariaDbPhotoStore } from '../../src/modules/photos';
import { FieldCipher, publicId } from '../../src/shared/crypto';

describe('progress photos under a rotated data key', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  let v1: TestContext;
  let v2: TestContext;
  beforeAll(async () => {
    v1 = await createTestContext({ env: { DATA_KEYS: `1:${k1}` } });
    v2 = await createTestContext({ env: { DATA_KEYS: `1:${k1},2:${k2}` } });
  });
  afterAll(async () => {
    await v1.close();
    await v2.close();
  });
  const cipherOf = (t: TestContext) => new FieldCipher(t.config.crypto.dataKeys, t.config.crypto.currentKeyVersion, t.config.crypto.blindIndexKeys);

  it('keys:reencrypt moves a photo to the new key, bytes unchanged (binary, not text)', async () => {
    const client = await createClient(v1);
    const id = publicId();
    const res = await v1.deps.db.query(
      "INSERT INTO progress_photos (public_id, client_id, treatment_public_id, step, content_type, size_bytes, created_at) VALUES (?, ?, ?, 'effect_1m', 'image/jpeg', ?, NOW(3))",
      [id, client.id, publicId(), TINY_JPEG.length],
    );
    const ref = { id: Number(res.insertId), publicId: id };
    await new MariaDbPhotoStore(cipherOf(v1)).put(v1.deps.db.manager, ref, TINY_JPEG);

    const report = await reencryptAll({ db: v2.deps.db, config: v2.config });

    expect(report.progress_photo_blobs.reencrypted).toBeGreaterThanOrEqual(1);
    const [{ v }] = await v2.deps.db.query('SELECT ORD(data_enc) AS v FROM progress_photo_blobs WHERE photo_id = ?', [ref.id]);
    expect(Number(v)).toBe(2);
    expect((await new MariaDbPhotoStore(cipherOf(v2)).get(v2.deps.db.manager, ref))!.equals(TINY_JPEG)).toBe(true);
  }, 60_000);
});
