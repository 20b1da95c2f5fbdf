import type { paths } from '@/api/schema';
import type { LocationQuery } from 'vue-router';
import { ref, type Ref } from 'vue';
import { describeError } from '@/api/errors';
import { shanghaiDay } from '@/composables/format';

const DAY_MS = 86400_000;

/** The last `days` Shanghai days, today included, as [from, to] (YYYY-MM-DD, both included). */
export function lastDays(days: number, now = new Date()): [string, string] {
  return [shanghaiDay(new Date(now.getTime() - (days - 1) * DAY_MS)), shanghaiDay(now)];
}

/** A Shanghai day's range as instants: from its first midnight to the midnight after the last day (the API's half-open ranges). */
export function dayRangeInstants([from, to]: [string, string]): { from: string; to: string } {
  const after = new Date(Date.parse(`${to}T00:00:00+08:00`) + DAY_MS);
  return { from: `${from}T00:00:00+08:00`, to: `${shanghaiDay(after)}T00:00:00+08:00` };
}

/** The last `count` Shanghai months, this one last, each as [first day, last day]. */
export function lastMonths(count: number, now = new Date()): { month: string; from: string; to: string }[] {
  const [y, m] = shanghaiDay(now).split('-').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const first = new Date(Date.UTC(y, m - count + i, 1));
    const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
    const month = first.toISOString().slice(0, 7);
    return { month, from: `${month}-01`, to: last.toISOString().slice(0, 10) };
  });
}

type Full<T> = T extends (infer E)[] ? Full<E>[] : T extends object ? { [K in keyof T]-?: Full<T[K]> } : T;
/** A report's answer as the API gives it (every field the document names is present in a report). */
export type ReportOf<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer R } } } } } ? Full<R> : never;

/** A report fetched on demand: one request at a time (a double click asks once), the API's error as text. */
export function useReport<T>(fetch: () => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref('');
  async function load() {
    if (loading.value) return;
    loading.value = true;
    try {
      data.value = await fetch();
      error.value = '';
    } catch (err) {
      error.value = describeError(err);
    } finally {
      loading.value = false;
    }
  }
  return { data, loading, error, load };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** The range a link names (?from=YYYY-MM-DD&to=YYYY-MM-DD), or the last `days` days. */
export function askedRange(query: LocationQuery, days: number): [string, string] {
  const [from, to] = [query.from, query.to];
  return typeof from === 'string' && typeof to === 'string' && DAY.test(from) && DAY.test(to) ? [from, to] : lastDays(days);
}
