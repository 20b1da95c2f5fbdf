/**
 * A number for one intended write (an order, a refund), made when the form opens and kept while it
 * stays open: a retry after a lost answer sends the same number, and the API replays the first
 * write instead of recording a second one. Letters and digits only (the API's external-number rule).
 */
export function newRequestNo(prefix: string, at = new Date()): string {
  const stamp = at.toISOString().slice(0, 19).replace(/\D/g, '');
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  const tail = Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('').toUpperCase();
  return `${prefix}${stamp}${tail}`;
}
