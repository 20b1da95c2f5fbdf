import { Writable } from 'node:stream';
import { createLogger, safeUrl } from '../../src/shared/logger';

function capture(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return { log: createLogger('info', {}, sink), lines: () => chunks.map((c) => JSON.parse(c)), raw: () => chunks.join('') };
}

describe('log lines keep request-derived text out, by allow-list', () => {
  it('free text under any key not on the list is redacted, however deep; numbers, booleans and listed keys stay', () => {
    const { log, lines, raw } = capture();
    log.info({
      clientId: 7, ok: true, task: 'rfm', text: 'I am allergic to lidocaine', note: 'note-secret', reason: 'reason-secret',
      payload: { nested: { deeper: { complaint: 'deep-secret', count: 3 } }, items: ['list-secret'] },
    }, 'something happened');
    const [line] = lines();
    expect(line).toMatchObject({ clientId: 7, ok: true, task: 'rfm', text: '[redacted]', note: '[redacted]', reason: '[redacted]', msg: 'something happened' });
    expect(line.payload).toEqual({ nested: { deeper: { complaint: '[redacted]', count: 3 } }, items: ['[redacted]'] });
    for (const secret of ['lidocaine', 'note-secret', 'reason-secret', 'deep-secret', 'list-secret']) expect(raw()).not.toContain(secret);
  });

  it('an error keeps its type, message, code and stack, never what it carries (a parser\'s raw body, a query\'s parameters)', () => {
    const { log, lines, raw } = capture();
    const err = Object.assign(new SyntaxError('Object contains forbidden prototype property'), {
      status: 400, body: '{"password":"Pw-in-body-123"}', parameters: ['param-secret'], payload: { text: 'payload-secret' },
    });
    log.error({ err }, 'unhandled error');
    const [line] = lines();
    expect(line.err).toMatchObject({ type: 'SyntaxError', message: 'Object contains forbidden prototype property', status: 400 });
    expect(raw()).not.toMatch(/Pw-in-body-123|param-secret|payload-secret/);
  });

  it('an error logged as its text keeps the text', () => {
    const { log, lines } = capture();
    log.warn({ err: 'WeCom send failed: timeout' }, 'delivery failed; will retry');
    expect(lines()[0].err).toBe('WeCom send failed: timeout');
  });

  it('URLs in the access line keep only paging and filter values', () => {
    expect(safeUrl('/api/staff/clients?phone=13800138000&limit=20&note=hello')).toBe('/api/staff/clients?phone=[redacted]&limit=20&note=[redacted]');
    expect(safeUrl('/api/staff/tasks?status=open&q=%E6%9E%97')).toBe('/api/staff/tasks?status=open&q=[redacted]');
    expect(safeUrl('/healthz')).toBe('/healthz');
  });
});
