import { onMounted, ref, type Ref } from 'vue';
import { ElMessage } from 'element-plus';
import { ApiError, describeError } from '@/api/errors';

/**
 * A settings list edited in a dialog (projects, rewards, staff accounts): loads on open, puts a
 * saved row in place (or at the end when new), and saves once however often the button is clicked,
 * showing the API's field errors beside the fields.
 */
export function useCatalog<T extends { id: string }>(list: () => Promise<{ items: T[] }>) {
  const items = ref([]) as Ref<T[]>;
  const loading = ref(false);
  const error = ref('');
  const busy = ref(false);
  const fields = ref<Record<string, string>>({});
  const dialogError = ref('');

  async function load() {
    loading.value = true;
    try {
      items.value = (await list()).items;
    } catch (err) {
      error.value = describeError(err);
    } finally {
      loading.value = false;
    }
  }

  function put(saved: T) {
    items.value = items.value.some((x) => x.id === saved.id) ? items.value.map((x) => (x.id === saved.id ? saved : x)) : [...items.value, saved];
  }

  /** Sends once; on success the row is put in place and `done` runs; refusals by code become field messages. */
  async function save(send: () => Promise<T>, done: () => void, refusals: Record<string, Record<string, string>> = {}) {
    if (busy.value) return;
    busy.value = true;
    dialogError.value = '';
    try {
      put(await send());
      done();
      ElMessage.success('已保存');
    } catch (err) {
      if (err instanceof ApiError) fields.value = refusals[err.code] ?? err.fields;
      dialogError.value = describeError(err);
    } finally {
      busy.value = false;
    }
  }

  onMounted(load);
  return { items, loading, error, busy, fields, dialogError, load, put, save };
}
