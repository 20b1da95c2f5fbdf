/**
 * A phone number as the product stores it, or null when it is not one: a mainland mobile
 * (1[3-9] and 9 more digits) or landline (0, area code, number: 10–12 digits), written without
 * +86 / 0086; or an international number in E.164 (+, a country code other than 86, 8–15 digits
 * in all). Spaces and hyphens between digits are allowed; any other character makes it no number —
 * never a number with the letter silently dropped.
 */
export function parsePhone(raw: string): string | null {
  const compact = raw.trim().replace(/(?<=\d)[\s-]+(?=\d)/g, '');
  if (!/^(\+|00)?\d+$/.test(compact)) return null;
  const international = compact.startsWith('+') ? compact.slice(1) : compact.startsWith('00') ? compact.slice(2) : null;
  const national = international === null ? compact : international.startsWith('86') ? international.slice(2) : null;
  if (national !== null) return /^(1[3-9]\d{9}|0[1-9]\d{8,10})$/.test(national) ? national : null;
  return /^[1-9]\d{7,14}$/.test(international!) ? `+${international}` : null;
}
