import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Middleware } from 'koa';

/**
 * The staff console's pages: the API serves the built app (`npm run console:build`) at /console/,
 * same origin as the API, so the console needs no CORS. What the built app needs and nothing more:
 * its own scripts (never inline), its own styles plus inline `style` attributes (Element Plus
 * positions popovers and sets widths through them), images from itself and data:/blob: URLs (QR
 * codes, charts exported as images), fetches to itself; never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PREFIX = '/console';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff',
  '.ttf': 'font/ttf', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

interface Loaded { body: Buffer; gzip: Buffer | null; type: string }

/**
 * The repository root (where package.json is), from src/ under ts-jest or dist/src/ when built.
 * The build copies package.json into dist/ (app.ts reads its version), so dist/ is passed over.
 */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) || (path.basename(dir) === 'dist' && fs.existsSync(path.join(dir, '..', 'package.json')))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Where `npm run console:build` writes the app. */
export function defaultConsoleDir(): string {
  return path.join(repoRoot(), 'dist', 'console');
}

/**
 * GET/HEAD under /console: hashed files under assets/ cached for a year (their names change with
 * their content), any other path answered with the app's page (history routing: /console/leads
 * reloads into the app), /console/sidebar/… with the sidebar's page; pages are revalidated on every
 * load; /favicon.ico is the console's SVG icon. Files are read once and kept with their gzip (the
 * built app is a few hundred kB).
 */
export function serveConsole(opts: { dir?: string } = {}): Middleware {
  const dir = path.resolve(opts.dir ?? defaultConsoleDir());
  const cache = new Map<string, Loaded | null>();
  const load = (file: string): Loaded | null => {
    if (cache.has(file)) return cache.get(file)!;
    let loaded: Loaded | null = null;
    try {
      const body = fs.readFileSync(file);
      const ext = path.extname(file).toLowerCase();
      loaded = { body, gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? zlib.gzipSync(body, { level: 9 }) : null, type: TYPES[ext] ?? 'application/octet-stream' };
    } catch {
      loaded = null;
    }
    // Pages are re-read when the app is rebuilt under a running API; hashed assets never change.
    if (loaded && !file.endsWith('.html')) cache.set(file, loaded);
    return loaded;
  };

  return async (ctx, next) => {
    // Browsers ask for /favicon.ico at the origin's root whatever the page says: answer with the console's icon.
    if (ctx.path === '/favicon.ico' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const icon = load(path.join(dir, 'favicon.svg'));
      if (!icon) return next();
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.type = icon.type;
      ctx.body = icon.body;
      return;
    }
    if (ctx.path !== PREFIX && !ctx.path.startsWith(`${PREFIX}/`)) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    ctx.state.route = '/console';
    if (ctx.path === PREFIX) {
      ctx.status = 301;
      ctx.redirect(`${PREFIX}/${ctx.querystring ? `?${ctx.querystring}` : ''}`);
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path.slice(PREFIX.length + 1));
    } catch {
      return next();
    }
    const target = path.resolve(dir, rel);
    if (target !== dir && !target.startsWith(dir + path.sep)) return next();
    const isAsset = rel.startsWith('assets/');
    let file: Loaded | null = rel && path.extname(rel) ? load(target) : null;
    if (!file) {
      // A missing hashed file is a stale page asking for an old build: a 404, not the page.
      if (isAsset || (path.extname(rel) && path.extname(rel) !== '.html')) return next();
      const page = rel === 'sidebar' || rel.startsWith('sidebar/') ? path.join(dir, 'sidebar', 'index.html') : path.join(dir, 'index.html');
      file = load(page);
      if (!file) {
        ctx.status = 503;
        ctx.type = 'text/plain; charset=utf-8';
        ctx.set('Cache-Control', 'no-store');
        ctx.body = 'The console is not built: run `npm run console:build`.\n';
        return;
      }
    }
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('Cache-Control', isAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.remove('Cross-Origin-Resource-Policy');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    ctx.set('Vary', 'Accept-Encoding');
    ctx.type = file.type;
    if (file.gzip && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = file.gzip;
    } else {
      ctx.body = file.body;
    }
    ctx.status = 200;
  };
}
