import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: false,
  // WeCom's messages are flat; a DOCTYPE or entities have no business in them.
  allowBooleanAttributes: false,
});

/**
 * The fields of a flat WeCom XML message (`<xml><Field><![CDATA[value]]></Field>…</xml>`) as
 * strings; null when the text is not such a message. Nested elements are kept as JSON text.
 */
export function parseFlatXml(text: string): Record<string, string> | null {
  if (!text || text.length > 64 * 1024 || /<!DOCTYPE|<!ENTITY/i.test(text)) return null;
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch {
    return null;
  }
  const root = (doc as { xml?: unknown } | null)?.xml;
  if (!root || typeof root !== 'object' || Array.isArray(root)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    out[k] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  }
  return out;
}

/** A flat WeCom XML message; strings in CDATA, numbers bare (as WeCom writes CreateTime). */
export function flatXml(fields: Record<string, string | number>): string {
  const parts = Object.entries(fields).map(([k, v]) =>
    typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${k}>`,
  );
  return `<xml>${parts.join('')}</xml>`;
}
