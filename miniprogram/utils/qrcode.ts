/**
 * The voucher's one-time code as a QR symbol, drawn by components/qr-code. Encoding is
 * qrcode-generator's (byte mode, error correction level M, smallest version that fits): staff
 * scan it at the front desk to 核销. In WeChat DevTools the package comes from miniprogram_npm
 * (工具 → 构建 npm, see miniprogram/README.md).
 */
import qrcode from 'qrcode-generator';

/** A QR symbol: `modules[row][col]` is true for a dark module. No quiet zone included. */
export interface QrSymbol {
  version: number;
  size: number;
  modules: boolean[][];
}

/** The text's UTF-8 bytes, one char per byte: the library's default byte conversion takes char codes as bytes. */
function utf8Chars(text: string): string {
  return Array.from(new TextEncoderLite().encode(text), (b) => String.fromCharCode(b)).join('');
}

/** UTF-8 without TextEncoder, which older base libraries lack. */
class TextEncoderLite {
  encode(text: string): number[] {
    const out: number[] = [];
    for (const ch of text) {
      const cp = ch.codePointAt(0) as number;
      if (cp < 0x80) out.push(cp);
      else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
      else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
      else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    }
    return out;
  }
}

/** Encodes `text` (UTF-8, byte mode, level M) in the smallest version that holds it. */
export function encodeQr(text: string): QrSymbol {
  const qr = qrcode(0, 'M');
  qr.addData(utf8Chars(text), 'Byte');
  qr.make();
  const size = qr.getModuleCount();
  const modules = Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => qr.isDark(r, c)));
  return { version: (size - 17) / 4, size, modules };
}
