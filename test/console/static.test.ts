import { createTestContext, TestContext } from '../helpers/context';
import { ensureConsoleBuilt } from '../helpers/browser';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONSOLE_CSP, repoRoot } from '../../src/shared/http/console-static';

jest.setTimeout(120_000);

describe('the console served at /console/', () => {
  let t: TestContext;
  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await createTestContext();
  });
  afterAll(async () => { await t.close(); });

  it('finds the built app from the compiled server too: dist/ holds a copy of package.json, yet the root is its parent', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meiyan-root-'));
    const compiled = path.join(root, 'dist', 'src', 'shared', 'http');
    fs.mkdirSync(compiled, { recursive: true });
    fs.writeFileSync(path.join(root, 'package.json'), '{}');
    fs.writeFileSync(path.join(root, 'dist', 'package.json'), '{}');
    expect(repoRoot(compiled)).toBe(root);
    expect(repoRoot(path.join(root, 'src', 'shared', 'http'))).toBe(root);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves the app page with the console CSP (no inline script allowed) and revalidates it', async () => {
    const res = await t.http.get('/console/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(res.headers['cache-control']).toBe('no-cache');
    // The built page has no inline script for the CSP to refuse.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).toContain('<div id="app">');
  });

  it('has an icon: /favicon.ico at the root and the icon the pages link to are the console\'s SVG (no 404 in the browser)', async () => {
    const root = await t.http.get('/favicon.ico');
    expect(root.status).toBe(200);
    expect(root.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect(root.body.toString()).toContain('<svg');
    const linked = await t.http.get('/console/favicon.svg');
    expect(linked.status).toBe(200);
    expect(linked.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect((await t.http.get('/console/')).text).toContain('href="/console/favicon.svg"');
  });

  it('answers a deep link with the app page (history routing) and the sidebar with its own page', async () => {
    const app = (await t.http.get('/console/')).text;
    const deep = await t.http.get('/console/clients/AAAAAAAAAAAAAAAAAAAAAA');
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(app);
    const sidebar = await t.http.get('/console/sidebar/?client=AAAAAAAAAAAAAAAAAAAAAA');
    expect(sidebar.status).toBe(200);
    expect(sidebar.text).toContain('客户侧边栏');
    expect(sidebar.text).not.toBe(app);
    const bare = await t.http.get('/console');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/console/');
  });

  it('serves hashed assets for a year, gzipped when asked; a missing asset or a path outside the build is a 404', async () => {
    const page = (await t.http.get('/console/')).text;
    const script = /<script[^>]*src="(\/console\/assets\/[^"]+\.js)"/.exec(page)![1];
    const res = await t.http.get(script).set('Accept-Encoding', 'gzip');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect((await t.http.get('/console/assets/nothing-here.js')).status).toBe(404);
    expect((await t.http.get('/console/..%2Fpackage.json')).status).toBe(404);
    expect((await t.http.get('/console/%2e%2e/%2e%2e/package.json')).status).toBe(404);
  });

  it('leaves the API alone: JSON routes keep their own headers', async () => {
    const res = await t.http.get('/healthz');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
