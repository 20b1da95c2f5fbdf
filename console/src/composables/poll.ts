import { onBeforeUnmount, onMounted, ref } from 'vue';

/**
 * Loads now and again every `everyMs` while the page is open and visible. New work reaches the desk
 * by a short poll, not server-sent events: EventSource cannot send the Authorization header, and a
 * poll needs no long-lived connection through the load balancer; at 30 s it is a few cheap indexed
 * reads per open console.
 */
export function usePoll(load: () => Promise<void>, everyMs = 30_000) {
  const now = ref(new Date());
  let timer: ReturnType<typeof setInterval> | undefined;
  const tick = async () => {
    now.value = new Date();
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
    await load();
  };
  onMounted(() => {
    void load();
    timer = setInterval(() => void tick(), everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return { now, refresh: load };
}
