/**
 * <qr-code text="K7M2P9QX4H" size="440" />: the text as a QR code (utils/qrcode: byte mode, level
 * M) drawn as rows of <view> runs in whole pixels — no canvas, no seams between modules, so the
 * front desk's scanner reads it straight off the screen.
 */
import { encodeQr } from '../../utils/qrcode';

/** Consecutive modules of one colour in a row, `w` pixels wide. */
interface Run {
  dark: boolean;
  w: number;
}

const QUIET_ZONE = 4;

function rpxToPx(rpx: number): number {
  let width = 375;
  try {
    width = wx.getWindowInfo().windowWidth || width;
  } catch {
    // Older base libraries: assume the 375-wide reference screen.
  }
  return (rpx * width) / 750;
}

Component({
  options: { addGlobalClass: true },
  properties: {
    text: { type: String, value: '' },
    /** Outer size in rpx, quiet zone included; the modules snap down to whole pixels. */
    size: { type: Number, value: 440 },
    /** Greys the code out (a used or expired voucher) while keeping the layout. */
    dimmed: { type: Boolean, value: false },
  },
  data: {
    rows: [] as Run[][],
    cell: 0,
    quiet: 0,
    side: 0,
    modules: 0,
    failed: false,
  },
  observers: {
    'text, size'(text: string, size: number) {
      if (!text) {
        this.setData({ rows: [], modules: 0, failed: false });
        return;
      }
      let sym;
      try {
        sym = encodeQr(text);
      } catch {
        this.setData({ rows: [], modules: 0, failed: true });
        return;
      }
      // Whole pixels per module: fractional ones blur and leave hairlines a scanner may trip on.
      const cell = Math.max(2, Math.floor(rpxToPx(size) / (sym.size + 2 * QUIET_ZONE)));
      const rows = sym.modules.map((row) => {
        const runs: Run[] = [];
        for (const dark of row) {
          const last = runs[runs.length - 1];
          if (last && last.dark === dark) last.w += cell;
          else runs.push({ dark, w: cell });
        }
        return runs;
      });
      this.setData({ rows, cell, quiet: cell * QUIET_ZONE, side: cell * (sym.size + 2 * QUIET_ZONE), modules: sym.size, failed: false });
    },
  },
});
