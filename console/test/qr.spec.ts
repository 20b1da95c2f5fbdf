import { describe, expect, it } from 'vitest';
import { qrModules, qrSvgDataUrl, readQrPixels, voucherCodeIn } from '../src/composables/qr';

/** The symbol as RGBA pixels, `scale` px a module with a quiet zone, as a camera frame would hold it. */
function pixels(modules: boolean[][], scale = 4): { data: Uint8ClampedArray; size: number } {
  const size = (modules.length + 8) * scale;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  modules.forEach((row, r) => row.forEach((dark, c) => {
    if (!dark) return;
    for (let y = 0; y < scale; y++) for (let x = 0; x < scale; x++) {
      const i = (((r + 4) * scale + y) * size + (c + 4) * scale + x) * 4;
      data[i] = data[i + 1] = data[i + 2] = 0;
    }
  }));
  return { data, size };
}

describe('QR drawing and reading', () => {
  it('draws a TOTP otpauth URI (with a Chinese issuer) that a reader gets back byte for byte', () => {
    const uri = 'otpauth://totp/%E7%BE%8E%E9%A2%9C:director_1?secret=JBSWY3DPEHPK3PXP&issuer=美颜&algorithm=SHA1&digits=6&period=30';
    const { data, size } = pixels(qrModules(uri));
    expect(readQrPixels(data, size, size)).toBe(uri);
  });

  it('makes an SVG data URL with a quiet zone, so the CSP (img-src data:) admits it', () => {
    const url = qrSvgDataUrl('otpauth://totp/x?secret=ABC');
    expect(url.startsWith('data:image/svg+xml;charset=utf-8,')).toBe(true);
    const svg = decodeURIComponent(url.split(',')[1]);
    const n = qrModules('otpauth://totp/x?secret=ABC').length;
    expect(svg).toContain(`viewBox="0 0 ${n + 8} ${n + 8}"`);
  });

  it('reads a voucher code from a frame, and finds nothing in a blank one', () => {
    const { data, size } = pixels(qrModules('K7MPQ2RSTV'), 3);
    expect(readQrPixels(data, size, size)).toBe('K7MPQ2RSTV');
    expect(readQrPixels(new Uint8ClampedArray(64 * 64 * 4).fill(255), 64, 64)).toBeNull();
  });

  it('takes a voucher code with the spaces it is printed with, and refuses what is not one (wrong length, I/O/0/1, a URL)', () => {
    expect(voucherCodeIn('K7MP Q2RS TV')).toBe('K7MPQ2RSTV');
    expect(voucherCodeIn('K7MPQ2RST')).toBeNull();
    expect(voucherCodeIn('K7MPQ2RSTVW')).toBeNull();
    expect(voucherCodeIn('K7MPQ2RST0')).toBeNull();
    expect(voucherCodeIn('K7MPQ2RSTI')).toBeNull();
    expect(voucherCodeIn('https://x.cn/K7MPQ2RSTV')).toBeNull();
  });
});
