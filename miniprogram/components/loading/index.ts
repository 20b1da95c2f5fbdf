/** A soft placeholder while the first answer is on its way: skeleton lines, or three dots inline. */
Component({
  options: { addGlobalClass: true },
  properties: {
    show: { type: Boolean, value: true },
    text: { type: String, value: '加载中' },
    /** 'skeleton' (card-shaped placeholder) or 'dots' (inline). */
    mode: { type: String, value: 'skeleton' },
    rows: { type: Number, value: 3 },
  },
  data: { rowList: [0, 1, 2] as number[] },
  observers: {
    rows(rows: number) {
      this.setData({ rowList: Array.from({ length: Math.max(1, Math.min(8, rows)) }, (_, i) => i) });
    },
  },
});
