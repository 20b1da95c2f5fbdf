import { createTestContext, TestContext } from '../helpers/context';

describe('system endpoints', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('GET /healthz answers 200 while the process is alive', async () => {
    const res = await t.http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/.+/);
  });

  it('GET /readyz answers 200 when MySQL and Redis answer', async () => {
    const res = await t.http.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  it('the entities agree with the migrated schema (no pending schema change)', async () => {
    const sql = await t.deps.db.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('an unknown route answers 404 with the error shape', async () => {
    const res = await t.http.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('every registered route is in /openapi.json', async () => {
    const res = await t.http.get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body as { paths: Record<string, Record<string, unknown>> };
    const layers = t.handle.api.layers();
    expect(layers.length).toBeGreaterThan(5);
    for (const layer of layers) {
      const p = String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const m of layer.methods.filter((x: string) => x !== 'HEAD')) {
        expect({ route: `${m} ${p}`, documented: Boolean(doc.paths[p]?.[m.toLowerCase()]) }).toEqual({ route: `${m} ${p}`, documented: true });
      }
    }
  });

  it('/metrics exposes request counts by route and pool use', async () => {
    await t.http.get('/healthz');
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket/);
    expect(res.text).toMatch(/db_pool_connections \d+/);
  });

  it('/docs serves Swagger UI with its assets', async () => {
    const html = await t.http.get('/docs');
    expect(html.status).toBe(200);
    expect(html.text).toContain('SwaggerUIBundle');
    const css = await t.http.get('/docs/swagger-ui.css');
    expect(css.status).toBe(200);
    expect((await t.http.get('/docs/evil.js')).status).toBe(400);
  });

  it('JSON answers carry the API security headers; the Swagger UI page gets the HTML set', async () => {
    for (const res of [await t.http.get('/healthz'), await t.http.get('/api/mp/me'), await t.http.get('/nope')]) {
      expect(res.headers).toMatchObject({
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      });
    }
    const page = await t.http.get('/docs');
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'unsafe-inline'/);
    expect(page.headers['cache-control']).toBeUndefined();
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('routes match whatever the case and with a trailing slash, as before they were split by path', async () => {
    expect((await t.http.get('/HEALTHZ/')).status).toBe(200);
    expect((await t.http.get('/Api/Mp/Me')).body.error.code).toBe('UNAUTHENTICATED');
    expect((await t.http.delete('/healthz')).status).toBe(405);
  });
});
