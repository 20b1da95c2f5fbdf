/** wx.request has no PATCH: the API takes POST + X-HTTP-Method-Override: PATCH, under /api/mp/ only. */
import { createTestContext, type TestContext } from '../../helpers/context';
import { loginClient } from '../../helpers/login';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.close();
});

it('POST with the override header reaches PATCH /api/mp/me', async () => {
  const { token } = await loginClient(t);
  const res = await t.http.post('/api/mp/me').set('Authorization', `Bearer ${token}`).set('X-HTTP-Method-Override', 'patch').send({ name: '小美' });
  expect(res.status).toBe(200);
  expect(res.body.name).toBe('小美');
  const me = await t.http.get('/api/mp/me').set('Authorization', `Bearer ${token}`);
  expect(me.body.name).toBe('小美');
});

it('bad input through the override is refused like a PATCH (400 with the field), not a 500', async () => {
  const { token } = await loginClient(t);
  const res = await t.http.post('/api/mp/me').set('Authorization', `Bearer ${token}`).set('X-HTTP-Method-Override', 'PATCH').send({ birthDate: '2024-02-30' });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('VALIDATION_FAILED');
  expect(res.body.error.details[0].field).toBe('body.birthDate');
});

it('without the header, or with another method, POST stays POST; staff routes ignore it', async () => {
  const { token } = await loginClient(t);
  expect((await t.http.post('/api/mp/me').set('Authorization', `Bearer ${token}`).send({ name: 'x' })).status).toBe(405);
  expect((await t.http.post('/api/mp/me').set('Authorization', `Bearer ${token}`).set('X-HTTP-Method-Override', 'DELETE').send({ confirm: true })).status).toBe(405);
  const staff = await t.http.post('/api/staff/clients/abc').set('X-HTTP-Method-Override', 'PATCH').send({ stage: 'lost' });
  // Honoured, it would be an unauthenticated PATCH (401); ignored, POST has no route there.
  expect(staff.status).toBe(405);
  // The account is still there.
  expect((await t.http.get('/api/mp/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
});
