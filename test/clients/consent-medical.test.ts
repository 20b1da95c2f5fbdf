import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { grantHealth, MEDICAL, NOW, rawContains } from './helpers';

describe('consents and medical history (/api/mp/me/consents, /api/mp/me/medical)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ now: NOW }); });
  afterAll(async () => { await t.close(); });

  it('PUT medical without a health consent → 403 HEALTH_CONSENT_REQUIRED and no medical row', async () => {
    const client = await createClient(t);
    const res = await t.http.put('/api/mp/me/medical').set(bearer(await clientToken(t, client))).send(MEDICAL);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
    expect(await t.deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [client.id])).toHaveLength(0);
  });

  it('with the health consent, PUT then GET round-trips; raw rows hold no health text; the write is audited', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await grantHealth(t, token);
    const put = await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);
    expect(put.status).toBe(200);
    const get = await t.http.get('/api/mp/me/medical').set(bearer(token));
    expect(get.body).toMatchObject(MEDICAL);
    const raw = await t.deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [client.id]);
    for (const text of ['青霉素', '阿司匹林', '双眼皮', '高血压']) expect(rawContains(raw, text)).toBe(false);
    const audit = await t.deps.db.query("SELECT actor_type FROM audit_log WHERE client_id = ? AND action = 'client.medical.update'", [client.id]);
    expect(audit).toEqual([{ actor_type: 'client' }]);
  });

  it('a withdrawn health consent stops further health writes; the consent row stays as evidence', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await grantHealth(t, token);
    const del = await t.http.delete('/api/mp/me/consents/health').set(bearer(token));
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ withdrawn: 1 });
    const res = await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);
    expect(res.status).toBe(403);
    const list = await t.http.get('/api/mp/me/consents').set(bearer(token));
    expect(list.body).toEqual(expect.arrayContaining([expect.objectContaining({ purpose: 'health', withdrawnAt: expect.any(String) })]));
  });

  it('withdrawing the health consent erases the medical history in the same step, audited as consent_withdrawn', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await grantHealth(t, token);
    expect((await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL)).status).toBe(200);

    const del = await t.http.delete('/api/mp/me/consents/health').set(bearer(token));

    expect(del.status).toBe(200);
    expect(await t.deps.db.query('SELECT client_id FROM medical_records WHERE client_id = ?', [client.id])).toHaveLength(0);
    const get = await t.http.get('/api/mp/me/medical').set(bearer(token));
    expect(get.body).toEqual({ allergies: [], medications: [], pastProcedures: [], conditions: [], updatedAt: null });
    const audit = await t.deps.db.query("SELECT actor_type, details FROM audit_log WHERE client_id = ? AND action = 'client.medical.erase'", [client.id]);
    expect(audit).toEqual([{ actor_type: 'client', details: { reason: 'consent_withdrawn' } }]);
  });

  it('withdrawing another consent leaves the medical history alone', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await grantHealth(t, token);
    await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL);
    expect((await t.http.delete('/api/mp/me/consents/privacy').set(bearer(token))).body).toEqual({ withdrawn: 1 });
    expect(await t.deps.db.query('SELECT client_id FROM medical_records WHERE client_id = ?', [client.id])).toHaveLength(1);
  });

  it('an outdated policy version → 409 POLICY_VERSION_OUTDATED with the current version, no consent row', async () => {
    const client = await createClient(t);
    const res = await t.http.post('/api/mp/me/consents').set(bearer(await clientToken(t, client))).send({ purpose: 'health', policyVersion: '2019-01' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'POLICY_VERSION_OUTDATED', details: { field: 'body.policyVersion', currentVersion: t.config.policy.healthConsentVersion } });
    expect(await t.deps.db.query('SELECT id FROM consents WHERE client_id = ?', [client.id])).toHaveLength(0);
  });

  it('a client under 14 needs the guardian consent before the health consent', async () => {
    const client = await createClient(t, { birthDate: '2015-01-01' });
    const token = await clientToken(t, client);
    const v = t.config.policy;
    const early = await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose: 'health', policyVersion: v.healthConsentVersion });
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('GUARDIAN_CONSENT_REQUIRED');

    const missing = await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose: 'guardian', policyVersion: v.guardianConsentVersion });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['body.guardianName', 'body.guardianRelation']));

    const guardian = await t.http.post('/api/mp/me/consents').set(bearer(token))
      .send({ purpose: 'guardian', policyVersion: v.guardianConsentVersion, guardianName: '王监护', guardianRelation: 'mother' });
    expect(guardian.status).toBe(201);
    expect(guardian.body).toMatchObject({ purpose: 'guardian', guardianName: '王监护', guardianRelation: 'mother', current: true });
    const raw = await t.deps.db.query('SELECT * FROM consents WHERE client_id = ?', [client.id]);
    expect(rawContains(raw, '王监护')).toBe(false);

    const health = await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose: 'health', policyVersion: v.healthConsentVersion });
    expect(health.status).toBe(201);
    expect((await t.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL)).status).toBe(200);
  });

  it('guardian fields on a non-guardian consent, an unknown purpose, and bad medical shapes → 400', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const v = t.config.policy;
    const extra = await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose: 'privacy', policyVersion: v.privacyVersion, guardianName: 'x' });
    expect(extra.status).toBe(400);
    expect((await t.http.post('/api/mp/me/consents').set(bearer(token)).send({ purpose: 'marketing', policyVersion: '1' })).status).toBe(400);
    expect((await t.http.delete('/api/mp/me/consents/marketing').set(bearer(token))).status).toBe(400);
    await grantHealth(t, token);
    const bad = await t.http.put('/api/mp/me/medical').set(bearer(token)).send({ ...MEDICAL, allergies: 'penicillin' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([expect.objectContaining({ field: 'body.allergies' })]);
    const badYear = await t.http.put('/api/mp/me/medical').set(bearer(token)).send({ ...MEDICAL, pastProcedures: [{ name: '隆鼻', year: 1800 }] });
    expect(badYear.status).toBe(400);
    expect(await t.deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [client.id])).toHaveLength(0);
  });

  it('granting the same consent twice is harmless; the profile summary shows current consents', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    await grantHealth(t, token);
    await grantHealth(t, token);
    expect(await t.deps.db.query("SELECT id FROM consents WHERE client_id = ? AND purpose = 'health'", [client.id])).toHaveLength(1);
    const me = await t.http.get('/api/mp/me').set(bearer(token));
    expect(me.body.consents).toEqual({
      privacy: { policyVersion: t.config.policy.privacyVersion, current: true },
      health: { policyVersion: t.config.policy.healthConsentVersion, current: true },
      guardian: null,
    });
  });
});
