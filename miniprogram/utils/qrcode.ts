/**
 * A small QR code encoder (ISO/IEC 18004:2015) for the voucher's one-time code: byte mode,
 * error correction level M, versions 1–4 (up to 62 bytes; a 10-character voucher code fits
 * version 1). Staff scan the result at the front desk to 核销, so it follows the standard
 * exactly; test/miniprogram/loyalty/qrcode.test.ts checks it against the spec and a decoder.
 */

/** A QR symbol: `modules[row][col]` is true for a dark module. No quiet zone included. */
export interface QrSymbol {
  version: number;
  size: number;
  mask: number;
  modules: boolean[][];
}

interface VersionSpec {
  version: number;
  /** Data codewords in each block (all blocks are the same size for M at versions 1–4). */
  dataPerBlock: number;
  blocks: number;
  ecPerBlock: number;
  /** Centre coordinates of the alignment patterns (ISO 18004 Annex E). */
  align: number[];
}

// Table 9 of ISO 18004, error correction level M.
const VERSIONS: VersionSpec[] = [
  { version: 1, dataPerBlock: 16, blocks: 1, ecPerBlock: 10, align: [] },
  { version: 2, dataPerBlock: 28, blocks: 1, ecPerBlock: 16, align: [6, 18] },
  { version: 3, dataPerBlock: 44, blocks: 1, ecPerBlock: 26, align: [6, 22] },
  { version: 4, dataPerBlock: 32, blocks: 2, ecPerBlock: 18, align: [6, 26] },
];

const MODE_BYTE = 0b0100;
// Error correction level M is 00 in the format information (Table 12).
const EC_LEVEL_M = 0b00;

/** Bytes a version holds in byte mode at level M: 4 mode bits + 8 count bits + 8 per byte. */
export function byteCapacity(version: number): number {
  const v = VERSIONS[version - 1];
  return Math.floor((v.dataPerBlock * v.blocks * 8 - 12) / 8);
}

/** UTF-8 bytes of a string (the mini-program runtime has no TextEncoder everywhere). */
export function utf8Bytes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}

// ------------------------------------------------------------------ Reed–Solomon over GF(256)

// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
const EXP: number[] = new Array(512);
const LOG: number[] = new Array(256);
(() => {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
})();

function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** The generator polynomial (x - α^0)(x - α^1)…(x - α^(n-1)), highest degree first, leading 1 dropped. */
function generator(degree: number): number[] {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j] ^= poly[j];
      next[j + 1] ^= gfMul(poly[j], EXP[i]);
    }
    poly = next;
  }
  return poly.slice(1);
}

/** The error correction codewords of one block: the remainder of data·x^n divided by the generator. */
export function reedSolomon(data: number[], ecCount: number): number[] {
  const gen = generator(ecCount);
  const rem = new Array(ecCount).fill(0);
  for (const d of data) {
    const factor = d ^ rem.shift()!;
    rem.push(0);
    for (let i = 0; i < ecCount; i++) rem[i] ^= gfMul(gen[i], factor);
  }
  return rem;
}

// ------------------------------------------------------------------ codewords

/** The final codeword sequence of a version: data and EC blocks interleaved (ISO 18004 7.6). */
export function codewords(bytes: number[], version: number): number[] {
  const v = VERSIONS[version - 1];
  const dataCount = v.dataPerBlock * v.blocks;
  const bits: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(MODE_BYTE, 4);
  put(bytes.length, 8); // character count indicator: 8 bits in byte mode for versions 1–9
  for (const b of bytes) put(b, 8);
  // Terminator (up to four 0s), then 0s to the byte boundary, then the pad bytes 11101100 00010001.
  put(0, Math.min(4, dataCount * 8 - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  const data: number[] = [];
  for (let i = 0; i < bits.length; i += 8) data.push(bits.slice(i, i + 8).reduce((acc, b) => (acc << 1) | b, 0));
  for (let pad = 0; data.length < dataCount; pad++) data.push(pad % 2 === 0 ? 0xec : 0x11);

  const dataBlocks: number[][] = [];
  for (let b = 0; b < v.blocks; b++) dataBlocks.push(data.slice(b * v.dataPerBlock, (b + 1) * v.dataPerBlock));
  const ecBlocks = dataBlocks.map((block) => reedSolomon(block, v.ecPerBlock));
  const out: number[] = [];
  for (let i = 0; i < v.dataPerBlock; i++) for (const block of dataBlocks) out.push(block[i]);
  for (let i = 0; i < v.ecPerBlock; i++) for (const block of ecBlocks) out.push(block[i]);
  return out;
}

// ------------------------------------------------------------------ the symbol

/** The 15 format bits for level M and a mask: BCH(15,5) with generator 0x537, XORed with 0x5412. */
export function formatBits(mask: number): number {
  const data = (EC_LEVEL_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

const MASKS: ((r: number, c: number) => boolean)[] = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (_r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

class Grid {
  readonly modules: boolean[][];
  readonly reserved: boolean[][];

  constructor(readonly size: number) {
    this.modules = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
    this.reserved = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  }

  fn(r: number, c: number, dark: boolean): void {
    this.modules[r][c] = dark;
    this.reserved[r][c] = true;
  }
}

function drawFunctionPatterns(g: Grid, v: VersionSpec): void {
  const n = g.size;
  // Finder patterns with their light separators, in three corners.
  for (const [top, left] of [[0, 0], [0, n - 7], [n - 7, 0]]) {
    for (let dr = -1; dr <= 7; dr++) {
      for (let dc = -1; dc <= 7; dc++) {
        const r = top + dr;
        const c = left + dc;
        if (r < 0 || r >= n || c < 0 || c >= n) continue;
        const ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
        g.fn(r, c, ring !== 2 && ring !== 4);
      }
    }
  }
  // Timing patterns on row 6 and column 6.
  for (let i = 8; i < n - 8; i++) {
    g.fn(6, i, i % 2 === 0);
    g.fn(i, 6, i % 2 === 0);
  }
  // Alignment patterns, except where they would overlap a finder pattern.
  const last = v.align.length - 1;
  v.align.forEach((r, i) => v.align.forEach((c, j) => {
    if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
    for (let dr = -2; dr <= 2; dr++) {
      for (let dc = -2; dc <= 2; dc++) g.fn(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
    }
  }));
  drawFormat(g, 0); // reserves the format areas; drawn for real once the mask is chosen
}

/** Format information in both copies (ISO 18004 7.9.1), bit 0 the least significant; plus the dark module. */
function drawFormat(g: Grid, mask: number): void {
  const n = g.size;
  const bits = formatBits(mask);
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) g.fn(i, 8, bit(i));
  g.fn(7, 8, bit(6));
  g.fn(8, 8, bit(7));
  g.fn(8, 7, bit(8));
  for (let i = 9; i < 15; i++) g.fn(8, 14 - i, bit(i));
  for (let i = 0; i < 8; i++) g.fn(8, n - 1 - i, bit(i));
  for (let i = 8; i < 15; i++) g.fn(n - 15 + i, 8, bit(i));
  g.fn(n - 8, 8, true);
}

/** Codeword bits in the two-column zigzag from the bottom right, skipping the vertical timing column. */
function placeData(g: Grid, data: number[]): void {
  const n = g.size;
  let i = 0;
  for (let right = n - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((n - 1 - right) >> 1) % 2 === 0;
    for (let k = 0; k < n; k++) {
      const r = upward ? n - 1 - k : k;
      for (const c of [right, right - 1]) {
        if (g.reserved[r][c]) continue;
        // Remainder bits after the last codeword are 0.
        g.modules[r][c] = i < data.length * 8 && ((data[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
        i++;
      }
    }
  }
}

function applyMask(g: Grid, mask: number): void {
  const m = MASKS[mask];
  for (let r = 0; r < g.size; r++) {
    for (let c = 0; c < g.size; c++) if (!g.reserved[r][c] && m(r, c)) g.modules[r][c] = !g.modules[r][c];
  }
}

/** The penalty score of ISO 18004 7.8.3 (runs, 2×2 blocks, finder-like patterns, dark balance). */
export function penalty(modules: boolean[][]): number {
  const n = modules.length;
  let score = 0;
  const lines: boolean[][] = [];
  for (let i = 0; i < n; i++) {
    lines.push(modules[i]);
    lines.push(modules.map((row) => row[i]));
  }
  for (const line of lines) {
    // N1: five or more same-coloured modules in a row score 3 + (run - 5).
    let run = 1;
    for (let i = 1; i <= n; i++) {
      if (i < n && line[i] === line[i - 1]) run++;
      else {
        if (run >= 5) score += 3 + run - 5;
        run = 1;
      }
    }
    // N3: 1:1:3:1:1 dark-light-dark-light-dark with four light modules on either side (outside the symbol is light).
    const at = (i: number) => i >= 0 && i < n && line[i];
    for (let i = -4; i < n; i++) {
      const core = at(i) && !at(i + 1) && at(i + 2) && at(i + 3) && at(i + 4) && !at(i + 5) && at(i + 6);
      if (!core) continue;
      const lightBefore = !at(i - 1) && !at(i - 2) && !at(i - 3) && !at(i - 4);
      const lightAfter = !at(i + 7) && !at(i + 8) && !at(i + 9) && !at(i + 10);
      if (lightBefore || lightAfter) score += 40;
    }
  }
  // N2: each 2×2 block of one colour scores 3.
  for (let r = 0; r < n - 1; r++) {
    for (let c = 0; c < n - 1; c++) {
      const v = modules[r][c];
      if (modules[r][c + 1] === v && modules[r + 1][c] === v && modules[r + 1][c + 1] === v) score += 3;
    }
  }
  // N4: 10 for every full 5% the dark share deviates from 50%.
  const dark = modules.reduce((acc, row) => acc + row.filter(Boolean).length, 0);
  score += 10 * Math.floor(Math.abs((dark * 100) / (n * n) - 50) / 5);
  return score;
}

/**
 * Encodes text (UTF-8, byte mode) at level M in the smallest of versions 1–4 that holds it. The
 * mask is the one with the lowest penalty unless `opts.mask` forces one; `opts.minVersion` (for tests)
 * starts the search at a larger version.
 */
export function encodeQr(text: string, opts: { mask?: number; minVersion?: number } = {}): QrSymbol {
  const bytes = utf8Bytes(text);
  const fits = VERSIONS.find((v) => v.version >= (opts.minVersion ?? 1) && byteCapacity(v.version) >= bytes.length);
  if (!fits) throw new Error(`QR: ${bytes.length} bytes do not fit version 4-M (at most ${byteCapacity(4)})`);
  const data = codewords(bytes, fits.version);
  const build = (mask: number): Grid => {
    const g = new Grid(17 + 4 * fits.version);
    drawFunctionPatterns(g, fits);
    placeData(g, data);
    applyMask(g, mask);
    drawFormat(g, mask);
    return g;
  };
  let mask = opts.mask;
  if (mask === undefined) {
    let best = Infinity;
    for (let m = 0; m < 8; m++) {
      const p = penalty(build(m).modules);
      if (p < best) {
        best = p;
        mask = m;
      }
    }
  }
  const g = build(mask!);
  return { version: fits.version, size: g.size, mask: mask!, modules: g.modules };
}
