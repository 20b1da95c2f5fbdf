import { session } from '@/composables/session';
import { ApiError } from '@/api/errors';

/** Downloads a report export (the API streams it; the session's token rides in the header, never in the URL). */
export async function downloadExport(path: string, query: Record<string, string>, filename: string): Promise<void> {
  const url = `${path}?${new URLSearchParams(query)}`;
  const res = await fetch(url, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new ApiError(res.status, body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? res.statusText, body?.error?.details, res.headers.get('x-request-id'));
  }
  const blob = await res.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
}
