import { describe, expect, it } from 'vitest';
import { parseSse, reconnectDelay } from '../src/composables/stream';

describe('reading the notification stream', () => {
  it('takes whole events, drops comments (heartbeats) and retry lines, and keeps a half-received event for the next chunk', () => {
    const first = parseSse('retry: 5000\nevent: ready\ndata: {}\n\n: ping\n\nevent: work\ndata: {"ki');
    expect(first.events).toEqual([{ event: 'ready', data: '{}' }]);
    const second = parseSse(`${first.rest}nd":"task"}\n\n`);
    expect(second).toEqual({ events: [{ event: 'work', data: '{"kind":"task"}' }], rest: '' });
  });

  it('reads CRLF line ends and multi-line data as the standard says', () => {
    expect(parseSse('event: work\r\ndata: a\r\ndata: b\r\n\r\n').events).toEqual([{ event: 'work', data: 'a\nb' }]);
  });

  it('waits longer after each failed reconnection, never more than a minute', () => {
    expect([0, 1, 2, 3, 4, 10].map(reconnectDelay)).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });
});
