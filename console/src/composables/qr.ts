import qrcode from 'qrcode-generator';
import jsQR from 'jsqr';

/**
 * QR symbols drawn and read in the browser: the TOTP enrolment URI is drawn here (the secret never
 * goes to a third-party QR service), and the desk's camera reads vouchers here.
 */

/** `modules[row][col]` is true for a dark module (UTF-8 text, byte mode, level M, no quiet zone). */
export function qrModules(text: string): boolean[][] {
  const qr = qrcode(0, 'M');
  // The library takes one char a byte: hand it the UTF-8 bytes.
  qr.addData(Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join(''), 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/** The symbol as an SVG data URL with a four-module quiet zone (scanners need it); CSP allows data: images. */
export function qrSvgDataUrl(text: string): string {
  const modules = qrModules(text);
  const size = modules.length + 8;
  let path = '';
  modules.forEach((row, r) => row.forEach((dark, c) => { if (dark) path += `M${c + 4} ${r + 4}h1v1h-1z`; }));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Reads a QR symbol from RGBA pixels (a camera frame or an uploaded picture); null when none is found. */
export function readQrPixels(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  return jsQR(rgba, width, height, { inversionAttempts: 'attemptBoth' })?.data ?? null;
}

/** The voucher code a scan holds: the mini-program's QR is the bare code; spaces (as printed) do not count. */
export function voucherCodeIn(scanned: string): string | null {
  const code = scanned.replace(/\s+/g, '');
  return /^[2-9A-HJKMNP-Za-hjkmnp-z]{10}$/.test(code) ? code : null;
}
