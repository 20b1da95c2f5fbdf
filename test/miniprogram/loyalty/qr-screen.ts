/** Reads a rendered <qr-code> back off the "screen": its runs of pixels, as a scanner would see them. */
import jsQR from 'jsqr';
import type { Rendered } from '../helpers/render';

export interface QrScreen {
  /** RGBA pixels of the code with its quiet zone. */
  data: Uint8ClampedArray;
  width: number;
  /** Pixels per module. */
  cell: number;
  /** Modules as drawn (true = dark). */
  matrix: boolean[][];
}

/** The first QR code drawn in a rendered page or component. */
export function qrOnScreen(r: Rendered): QrScreen {
  const firstRun = r.comp.dom.querySelector('[data-dark]') as HTMLElement | null;
  if (!firstRun) throw new Error(`no QR code is drawn; page text: ${r.text()}`);
  const root = firstRun.parentElement!.parentElement as HTMLElement;
  const side = parseInt(root.style.width, 10);
  const quiet = parseInt(root.style.padding, 10);
  const rows = Array.from(root.children) as HTMLElement[];
  const cell = parseInt(rows[0].style.height, 10);
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  const matrix: boolean[][] = [];
  rows.forEach((rowEl, r) => {
    const modules: boolean[] = [];
    let x = quiet;
    for (const run of Array.from(rowEl.children) as HTMLElement[]) {
      const w = parseInt(run.style.width, 10);
      const dark = run.getAttribute('data-dark') === '1';
      for (let i = 0; i < w / cell; i++) modules.push(dark);
      if (dark) {
        for (let y = quiet + r * cell; y < quiet + (r + 1) * cell; y++) {
          for (let px = x; px < x + w; px++) {
            const p = (y * side + px) * 4;
            data[p] = data[p + 1] = data[p + 2] = 0;
          }
        }
      }
      x += w;
    }
    matrix.push(modules);
  });
  return { data, width: side, cell, matrix };
}

/** What a scanner reads from the first QR code on screen (null when it reads nothing). */
export function scanQr(r: Rendered): string | null {
  const s = qrOnScreen(r);
  return jsQR(s.data, s.width, s.width)?.data ?? null;
}
