/**
 * Recognises a photo by its bytes (never by what the client says it is) and strips the metadata a
 * phone writes into it — EXIF with the GPS position, XMP, comments, text chunks, timestamps —
 * keeping only what decoding needs. Pure; a file that does not parse as a whole is refused.
 */
export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

export type ImageRefusal = 'not_an_image' | 'malformed';

export type CleanResult = { ok: true; type: PhotoType; bytes: Buffer; removed: string[] } | { ok: false; reason: ImageRefusal };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The type the magic bytes say, or null. */
export function sniffImage(buf: Buffer): PhotoType | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Recognises the image and returns it without metadata. */
export function cleanImage(buf: Buffer): CleanResult {
  const type = sniffImage(buf);
  if (!type) return { ok: false, reason: 'not_an_image' };
  const removed: string[] = [];
  const bytes = type === 'image/jpeg' ? cleanJpeg(buf, removed) : type === 'image/png' ? cleanPng(buf, removed) : cleanWebp(buf, removed);
  return bytes ? { ok: true, type, bytes, removed } : { ok: false, reason: 'malformed' };
}

// JPEG: APP0 (JFIF), APP2 ICC_PROFILE (colours) and APP14 (Adobe colour transform) are needed to show
// the picture right; every other APPn (APP1 = EXIF/XMP with GPS) and COM is dropped. After SOS the
// entropy-coded data and the rest of the file are kept as they are.
function cleanJpeg(buf: Buffer, removed: string[]): Buffer | null {
  const out: Buffer[] = [buf.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd9) return null; // EOI before any scan: no picture
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { out.push(buf.subarray(i, i + 2)); i += 2; continue; }
    const len = buf.readUInt16BE(i + 2);
    if (len < 2 || i + 2 + len > buf.length) return null;
    const segment = buf.subarray(i, i + 2 + len);
    if (marker === 0xda) {
      out.push(buf.subarray(i));
      return Buffer.concat(out);
    }
    if (keepJpegSegment(marker, segment)) out.push(segment);
    else removed.push(jpegSegmentName(marker, segment));
    i += 2 + len;
  }
  return null;
}

function keepJpegSegment(marker: number, segment: Buffer): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // tables, frame headers: needed to decode
  if (marker === 0xe0) return segment.toString('latin1', 4, 9) === 'JFIF\0' || segment.toString('latin1', 4, 9) === 'JFXX\0';
  if (marker === 0xe2) return segment.toString('latin1', 4, 16) === 'ICC_PROFILE\0';
  return marker === 0xee; // Adobe
}

function jpegSegmentName(marker: number, segment: Buffer): string {
  if (marker === 0xfe) return 'COM';
  const id = segment.toString('latin1', 4, Math.min(segment.length, 10)).replace(/[^\x20-\x7e]/g, '');
  return `APP${marker - 0xe0}${id ? `:${id}` : ''}`;
}

// PNG: text chunks (tEXt, zTXt, iTXt), eXIf and tIME go; every other chunk is kept with its CRC.
const PNG_DROP = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME']);

function cleanPng(buf: Buffer, removed: string[]): Buffer | null {
  const out: Buffer[] = [PNG_SIGNATURE];
  let i = 8;
  while (i + 12 <= buf.length) {
    const len = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    if (!/^[A-Za-z]{4}$/.test(type) || i + 12 + len > buf.length) return null;
    const chunk = buf.subarray(i, i + 12 + len);
    if (PNG_DROP.has(type)) removed.push(type);
    else out.push(chunk);
    i += 12 + len;
    if (type === 'IEND') return out.length > 2 ? Buffer.concat(out) : null;
  }
  return null;
}

// WebP (RIFF): EXIF and XMP chunks go and the extended header's flags for them are cleared.
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function cleanWebp(buf: Buffer, removed: string[]): Buffer | null {
  const size = buf.readUInt32LE(4);
  if (size + 8 > buf.length || size < 4) return null;
  const chunks: Buffer[] = [];
  let i = 12;
  let image = false;
  while (i + 8 <= size + 8) {
    const fourcc = buf.toString('latin1', i, i + 4);
    const len = buf.readUInt32LE(i + 4);
    const padded = len + (len & 1);
    if (i + 8 + len > size + 8) return null;
    const chunk = Buffer.from(buf.subarray(i, Math.min(i + 8 + padded, size + 8)));
    if (fourcc === 'EXIF' || fourcc === 'XMP ') {
      removed.push(fourcc.trim());
    } else {
      if (fourcc === 'VP8X' && len >= 10) chunk[8] &= ~(VP8X_EXIF | VP8X_XMP);
      if (fourcc === 'VP8 ' || fourcc === 'VP8L' || fourcc === 'ANMF') image = true;
      chunks.push(chunk);
    }
    i += 8 + padded;
  }
  if (!image) return null;
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}
