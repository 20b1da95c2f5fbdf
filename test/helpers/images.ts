import { deflateSync } from 'node:zlib';

/** A real 16×16 JPEG (JFIF, no metadata), made once with an encoder and kept as bytes. */
export const TINY_JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSgBBwcHCggKEwoKEygaFhooKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKP/AABEIABAAEAMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/AOnse1ZVD6KqdBZdq4Kh5lY5+x7V31D06p0Fl2rgqHmVj//Z', 'base64');

/** Latitude 31.2304° N, longitude 121.4737° E (Shanghai) as EXIF rationals; their bytes must not survive an upload. */
export const GPS_LAT = [31, 13, 4944] as const;
export const GPS_LON = [121, 28, 2532] as const;

/** The bytes of a rational triple as an EXIF GPS tag stores them (big-endian "MM" TIFF): what a test looks for. */
export function rationalBytes(parts: readonly number[], denominators: readonly number[] = [1, 1, 100]): Buffer {
  const out = Buffer.alloc(parts.length * 8);
  parts.forEach((p, i) => { out.writeUInt32BE(p, i * 8); out.writeUInt32BE(denominators[i], i * 8 + 4); });
  return out;
}

/**
 * An APP1 Exif segment as a phone writes one: IFD0 with Make, a comment and the GPS IFD pointer;
 * the GPS IFD with latitude and longitude (big-endian TIFF).
 */
export function exifApp1(): Buffer {
  const make = Buffer.from('TestPhone\0', 'latin1');
  const lat = rationalBytes(GPS_LAT);
  const lon = rationalBytes(GPS_LON);
  // TIFF: header(8) | IFD0: count(2) + 2 entries(24) + next(4) = 30 | GPS IFD: count(2) + 4 entries(48) + next(4) = 54 | data
  const ifd0At = 8;
  const gpsAt = ifd0At + 30;
  const dataAt = gpsAt + 54;
  const makeAt = dataAt;
  const latAt = makeAt + make.length;
  const lonAt = latAt + lat.length;
  const tiff = Buffer.alloc(lonAt + lon.length);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(ifd0At, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    tiff.writeUInt16BE(tag, at); tiff.writeUInt16BE(type, at + 2); tiff.writeUInt32BE(count, at + 4); tiff.writeUInt32BE(value, at + 8);
  };
  tiff.writeUInt16BE(2, ifd0At);
  entry(ifd0At + 2, 0x010f, 2, make.length, makeAt); // Make
  entry(ifd0At + 14, 0x8825, 4, 1, gpsAt); // GPSInfo
  tiff.writeUInt16BE(4, gpsAt);
  entry(gpsAt + 2, 0x0001, 2, 2, 0x4e000000); // GPSLatitudeRef 'N'
  entry(gpsAt + 14, 0x0002, 5, 3, latAt); // GPSLatitude
  entry(gpsAt + 26, 0x0003, 2, 2, 0x45000000); // GPSLongitudeRef 'E'
  entry(gpsAt + 38, 0x0004, 5, 3, lonAt); // GPSLongitude
  make.copy(tiff, makeAt);
  lat.copy(tiff, latAt);
  lon.copy(tiff, lonAt);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** The JPEG with an EXIF block carrying a GPS position and a comment segment, right after SOI (where phones put it). */
export function jpegWithGps(jpeg: Buffer = TINY_JPEG): Buffer {
  const comment = Buffer.from('taken at home', 'latin1');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
  return Buffer.concat([jpeg.subarray(0, 2), exifApp1(), com, jpeg.subarray(2)]);
}

/** True when the JPEG holds an APPn segment other than JFIF (APP0), ICC (APP2) or Adobe (APP14), or a comment, before its scan. */
export function jpegHasMetadata(buf: Buffer): boolean {
  let i = 2;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1];
    if (marker === 0xda) return false;
    if (marker === 0xfe || marker === 0xe1 || (marker >= 0xe3 && marker <= 0xed) || marker === 0xef) return true;
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return false;
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real 2×2 RGB PNG with a tEXt chunk (a location) and an eXIf chunk, as some apps write them. */
export function pngWithText(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0); ihdr.writeUInt32BE(2, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from('Location\0Shanghai Xuhui', 'latin1')),
    pngChunk('eXIf', exifApp1().subarray(10)),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 1×1 lossless WebP in the extended format (VP8X) with an EXIF chunk and its flag set. */
export function webpWithExif(): Buffer {
  const vp8l = Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00]);
  const chunk = (fourcc: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(fourcc, 0, 'latin1');
    head.writeUInt32LE(data.length, 4);
    return Buffer.concat([head, data, data.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x08; // EXIF present
  const exif = exifApp1().subarray(10);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), chunk('VP8X', vp8x), chunk('VP8L', vp8l), chunk('EXIF', exif)]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}
