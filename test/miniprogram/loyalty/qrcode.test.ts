/**
 * The voucher QR (miniprogram/utils/qrcode.ts over qrcode-generator): staff scan it to 核销, so it
 * must decode back to exactly its text with an independent decoder (jsQR), at level M.
 */
import jsQR from 'jsqr';
import { encodeQr, type QrSymbol } from '../../../miniprogram/utils/qrcode';

/** Renders a symbol with a 4-module quiet zone, `scale` pixels a module, as RGBA for jsQR. */
function rgba(sym: QrSymbol, scale = 4): { data: Uint8ClampedArray; width: number } {
  const width = (sym.size + 8) * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (let r = 0; r < sym.size; r++) {
    for (let c = 0; c < sym.size; c++) {
      if (!sym.modules[r][c]) continue;
      for (let y = 0; y < scale; y++) {
        for (let x = 0; x < scale; x++) {
          const p = (((r + 4) * scale + y) * width + (c + 4) * scale + x) * 4;
          data[p] = data[p + 1] = data[p + 2] = 0;
        }
      }
    }
  }
  return { data, width };
}

function decode(sym: QrSymbol): { text: string; version: number; level: string } | null {
  const { data, width } = rgba(sym);
  const found = jsQR(data, width, width, { inversionAttempts: 'dontInvert' });
  return found ? { text: found.data, version: found.version, level: (found as unknown as { errorCorrectionLevel?: string }).errorCorrectionLevel ?? 'M' } : null;
}

describe('voucher QR code', () => {
  const inputs = [
    'K7M2P9QX4H', // a voucher code (10 characters of the code alphabet)
    '推荐码-ABC', // UTF-8 multi-byte in byte mode
    'https://example-hospital.cn/v?c=K7M2P9QX4H',
    'x'.repeat(62),
  ];

  it.each(inputs)('decodes back to its text with an independent decoder: %s', (text) => {
    const sym = encodeQr(text);
    expect(sym.size).toBe(sym.version * 4 + 17);
    expect(decode(sym)?.text).toBe(text);
  });

  it('uses the smallest version at level M: 14 bytes fit version 1, 15 need version 2', () => {
    expect(encodeQr('x'.repeat(14)).version).toBe(1);
    expect(encodeQr('x'.repeat(15)).version).toBe(2);
    expect(encodeQr('K7M2P9QX4H').size).toBe(21);
  });

  it('decodes 50 pseudo-random voucher codes back exactly', () => {
    const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz';
    let seed = 20240601; // a fixed LCG: a failure can be reproduced
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50; i++) {
      const code = Array.from({ length: 10 }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      expect(decode(encodeQr(code))?.text).toBe(code);
    }
  });

  it('no longer decodes when the data area is damaged beyond what level M corrects (the check can fail)', () => {
    const sym = encodeQr('K7M2P9QX4H');
    const broken: QrSymbol = { ...sym, modules: sym.modules.map((row) => [...row]) };
    for (let r = 9; r < sym.size; r++) for (let c = 9; c < sym.size; c++) broken.modules[r][c] = !broken.modules[r][c];
    expect(decode(broken)?.text).not.toBe('K7M2P9QX4H');
  });
});
