import { onBeforeUnmount, onMounted, ref } from 'vue';

/**
 * Loads now and again every `everyMs` while the page is open and visible, except while `skip()`
 * says another source keeps the page fresh (the workbench's notification stream, see stream.ts);
 * the clock (`now`, for countdowns) ticks regardless.
 */
export function usePoll(load: () => Promise<void>, everyMs = 30_000, skip: () => boolean = () => false) {
  const now = ref(new Date());
  let timer: ReturnType<typeof setInterval> | undefined;
  const tick = async () => {
    now.value = new Date();
    if ((typeof document !== 'undefined' && document.visibilityState === 'hidden') || skip()) return;
    await load();
  };
  onMounted(() => {
    void load();
    timer = setInterval(() => void tick(), everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return { now, refresh: load };
}
