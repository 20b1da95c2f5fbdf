/** "1,234.5" yuan as typed at the desk → fen; null when it is not an amount (two decimals at most). */
export function toFen(yuanText: string): number | null {
  const t = yuanText.replace(/[,，\s¥￥]/g, '');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/** Fen → yuan as the desk types it ("150.5", "100"); '' for none. The inverse of toFen. */
export function yuanText(fen: number | null | undefined): string {
  return fen === null || fen === undefined ? '' : String(fen / 100);
}
