/**
 * The voucher QR encoder (miniprogram/utils/qrcode.ts): staff scan it to 核销, so it is checked
 * against the standard (ISO/IEC 18004 worked example and format table), against an independent
 * encoder module by module, and by decoding it with an independent decoder.
 *
 * `qrcode` and `jsqr` are dependencies of file-box (a dependency of the API), used here as references.
 */
import jsQR from 'jsqr';
import { byteCapacity, codewords, encodeQr, formatBits, reedSolomon, type QrSymbol } from '../../../miniprogram/utils/qrcode';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const referenceQr = require('qrcode') as {
  create(data: { data: string; mode: 'byte' }[], opts: { errorCorrectionLevel: string; version?: number; maskPattern?: number }): {
    version: number; maskPattern: number; modules: { size: number; get(r: number, c: number): number };
  };
};

const hex = (s: string) => s.split(' ').map((h) => parseInt(h, 16));

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

function decode(sym: QrSymbol): { text: string; version: number } | null {
  const { data, width } = rgba(sym);
  const found = jsQR(data, width, width, { inversionAttempts: 'dontInvert' });
  return found ? { text: found.data, version: found.version } : null;
}

const finder = [
  '#######', '#.....#', '#.###.#', '#.###.#', '#.###.#', '#.....#', '#######',
];
function block(sym: QrSymbol, top: number, left: number, rows: number, cols: number): string[] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => (sym.modules[top + r][left + c] ? '#' : '.')).join(''));
}

describe('QR encoder: the standard', () => {
  it('computes the error correction codewords of the ISO 18004 Annex I example (01234567, 1-M)', () => {
    const data = hex('10 20 0C 56 61 80 EC 11 EC 11 EC 11 EC 11 EC 11');
    expect(reedSolomon(data, 10)).toEqual(hex('A5 24 D4 C1 ED 36 C7 87 2C 55'));
  });

  it('encodes the format information of level M for every mask as in the ISO 18004 Annex C table', () => {
    const table = [
      '101010000010010', '101000100100101', '101111001111100', '101101101001011',
      '100010111111001', '100000011001110', '100111110010111', '100101010100000',
    ];
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((m) => formatBits(m).toString(2).padStart(15, '0'))).toEqual(table);
  });

  it('builds byte-mode data codewords with terminator and pad bytes, then the EC block', () => {
    // "AB" in byte mode: 0100 00000010 01000001 01000010 0000, then EC 11 alternating.
    const cw = codewords([0x41, 0x42], 1);
    expect(cw.slice(0, 16)).toEqual(hex('40 24 14 20 EC 11 EC 11 EC 11 EC 11 EC 11 EC 11'));
    expect(cw).toHaveLength(26);
    expect(cw.slice(16)).toEqual(reedSolomon(cw.slice(0, 16), 10));
  });

  it('holds 14, 26, 42 and 62 bytes in versions 1–4 at level M and refuses more', () => {
    expect([1, 2, 3, 4].map(byteCapacity)).toEqual([14, 26, 42, 62]);
    expect(encodeQr('x'.repeat(14)).version).toBe(1);
    expect(encodeQr('x'.repeat(15)).version).toBe(2);
    expect(encodeQr('x'.repeat(62)).version).toBe(4);
    expect(() => encodeQr('x'.repeat(63))).toThrow(/do not fit/);
  });

  it('draws finder patterns, timing patterns, the dark module and both copies of the format information', () => {
    const sym = encodeQr('K7M2P9QX4H');
    const n = sym.size;
    expect(sym.version).toBe(1);
    expect(n).toBe(21);
    expect(block(sym, 0, 0, 7, 7)).toEqual(finder);
    expect(block(sym, 0, n - 7, 7, 7)).toEqual(finder);
    expect(block(sym, n - 7, 0, 7, 7)).toEqual(finder);
    // Separators are light.
    expect(block(sym, 7, 0, 1, 8)).toEqual(['........']);
    expect(block(sym, 0, n - 8, 8, 1).join('')).toBe('........');
    expect(block(sym, 8, 6, n - 16, 1).join('')).toBe('#.#.#');
    expect(block(sym, 6, 8, 1, n - 16)).toEqual(['#.#.#']);
    expect(sym.modules[n - 8][8]).toBe(true);

    const bits = formatBits(sym.mask);
    const bit = (i: number) => ((bits >>> i) & 1) === 1;
    const firstCopy = [0, 1, 2, 3, 4, 5, 7, 8].map((r) => sym.modules[r][8]).concat([7, 5, 4, 3, 2, 1, 0].map((c) => sym.modules[8][c]));
    const secondCopy = Array.from({ length: 8 }, (_, i) => sym.modules[8][n - 1 - i]).concat(Array.from({ length: 7 }, (_, i) => sym.modules[n - 7 + i][8]));
    const expected = Array.from({ length: 15 }, (_, i) => bit(i));
    expect(firstCopy).toEqual(expected);
    expect(secondCopy).toEqual(expected);
  });

  it('draws the alignment pattern of versions 2–4 at its centre from Annex E', () => {
    for (const [version, centre] of [[2, 18], [3, 22], [4, 26]]) {
      const sym = encodeQr('voucher', { minVersion: version });
      expect(sym.version).toBe(version);
      expect(block(sym, centre - 2, centre - 2, 5, 5)).toEqual(['#####', '#...#', '#.#.#', '#...#', '#####']);
    }
  });
});

describe('QR encoder: against an independent encoder and decoder', () => {
  const inputs = [
    'K7M2P9QX4H', // a voucher code (10 characters of the code alphabet)
    'a3Z9xw2bNq',
    '推荐码-ABC', // UTF-8 multi-byte in byte mode
    'https://example-hospital.cn/v?c=K7M2P9QX4H',
    'x'.repeat(62),
  ];

  // The reference is given one byte-mode segment: left alone it would pick alphanumeric mode for some inputs.
  it.each(inputs)('matches the reference encoder module for module, for every mask, at the same version: %s', (text) => {
    const base = encodeQr(text);
    for (let version = base.version; version <= 4; version++) {
      for (let mask = 0; mask < 8; mask++) {
        const mine = encodeQr(text, { mask, minVersion: version });
        const ref = referenceQr.create([{ data: text, mode: 'byte' }], { errorCorrectionLevel: 'M', version, maskPattern: mask });
        expect(mine.version).toBe(ref.version);
        expect(mine.size).toBe(ref.modules.size);
        const refRows = Array.from({ length: ref.modules.size }, (_, r) => Array.from({ length: ref.modules.size }, (_, c) => ref.modules.get(r, c) === 1));
        expect(mine.modules).toEqual(refRows);
      }
    }
  });

  it.each(inputs)('decodes back to its text with an independent decoder, with the mask it chose: %s', (text) => {
    const sym = encodeQr(text);
    expect(decode(sym)).toEqual({ text, version: sym.version });
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

  it('no longer decodes when a data module is flipped beyond what level M corrects (the check can fail)', () => {
    const sym = encodeQr('K7M2P9QX4H', { mask: 0 });
    const broken: QrSymbol = { ...sym, modules: sym.modules.map((row) => [...row]) };
    // Flip the whole data area right of the timing column in the lower half: far more than 15% of codewords.
    for (let r = 9; r < sym.size; r++) for (let c = 9; c < sym.size; c++) broken.modules[r][c] = !broken.modules[r][c];
    expect(decode(broken)?.text).not.toBe('K7M2P9QX4H');
  });
});
