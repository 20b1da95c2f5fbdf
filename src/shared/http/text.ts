import type { FieldProblem } from '../errors';

// A high surrogate not followed by a low one, or a low one without a high one before it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const NOT_UNICODE = 'holds an unpaired UTF-16 surrogate, which is not Unicode text';

/**
 * Where a JSON value holds a string (or a key) that is not well-formed Unicode: JSON allows
 * `"\ud800"`, MariaDB's utf8mb4 refuses it (or the driver stores U+FFFD instead), so it is refused
 * at the door for every route rather than by each schema.
 */
export function malformedTextIn(value: unknown, field: string, depth = 0): FieldProblem | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? { field, message: `${field} ${NOT_UNICODE}`, type: 'string.unicode' } : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = malformedTextIn(value[i], `${field}.${i}`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (LONE_SURROGATE.test(k)) return { field, message: `a key of ${field} ${NOT_UNICODE}`, type: 'string.unicode' };
    const p = malformedTextIn(v, `${field}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}

function decodes(component: string): boolean {
  try {
    decodeURIComponent(component);
    return true;
  } catch {
    return false;
  }
}

/**
 * The raw path and query string must percent-decode as UTF-8. Lenient decoders turn `%ED%A0%80`
 * (an encoded surrogate) or a stray `%FF` into U+FFFD and the handler would store that silently.
 */
export function undecodableUrlPart(rawPath: string, rawQuery: string): FieldProblem | null {
  if (!decodes(rawPath)) return { field: 'path', message: `path is not valid percent-encoded UTF-8`, type: 'string.unicode' };
  if (!rawQuery) return null;
  for (const pair of rawQuery.split('&')) {
    const [name, value = ''] = pair.split('=', 2).map((s) => s.replace(/\+/g, ' '));
    const field = decodes(name) ? `query.${decodeURIComponent(name)}` : 'query';
    if (!decodes(name) || !decodes(value)) return { field, message: `${field} is not valid percent-encoded UTF-8`, type: 'string.unicode' };
  }
  return null;
}
