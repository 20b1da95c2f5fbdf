import { onBeforeUnmount, onMounted, ref } from 'vue';
import { session, sessionExpired } from '@/composables/session';

export interface SseEvent { event: string; data: string }

/** Splits server-sent-event text into whole events and the unfinished rest (comments and retry lines are dropped). */
export function parseSse(text: string): { events: SseEvent[]; rest: string } {
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length || event !== 'message') events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/** Waits before the n-th reconnection: 5 s, 10 s, 20 s … at most a minute. */
export function reconnectDelay(attempt: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.max(0, attempt));
}

/**
 * New work pushed to the workbench: server-sent events from GET /api/staff/me/stream, read with
 * fetch() and a ReadableStream because EventSource cannot send the Authorization header (and a
 * token in the URL would end up in access logs). `onWork` runs when the stream opens (whatever
 * came while it was closed) and at each event; `live` is false while the stream is down, when the
 * caller's poll takes over, and it reconnects with a growing pause.
 */
export function useWorkStream(onWork: (kind: string) => void) {
  const live = ref(false);
  let controller: AbortController | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;

  async function connect(): Promise<void> {
    if (stopped || !session.token) return;
    controller = new AbortController();
    try {
      const res = await fetch('/api/staff/me/stream', { headers: { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' }, signal: controller.signal });
      if (res.status === 401) return sessionExpired();
      if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const e of parsed.events) {
          if (e.event === 'ready') {
            live.value = true;
            attempt = 0;
            onWork('ready');
          } else if (e.event === 'work') onWork((JSON.parse(e.data) as { kind: string }).kind);
        }
      }
    } catch {
      // A dropped connection or a refused stream: the poll carries on until the next try.
    }
    live.value = false;
    if (!stopped) retry = setTimeout(() => void connect(), attempt === 0 ? 1_000 : reconnectDelay(attempt - 1)), attempt++;
  }

  onMounted(() => void connect());
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(retry);
    controller?.abort();
  });
  return { live };
}
