/**
 * <question-body-area options="{{options}}" value="{{picked}}" bind:toggle="onToggle" />
 *
 * The body-area picker of a `body_area` question: a soft figure with a dot and a label on each
 * area the template offers, plus the same areas as chips (areas the figure has no place for are
 * chips only). A tap fires `toggle` with { value }; the question decides what the new answer is.
 */
interface Option {
  value: string;
  label: string;
}

/** Where each known area sits on the figure (percent of its box) and which side its label is on. */
const PLACES: Record<string, { x: number; y: number; side: 'left' | 'right' }> = {
  hair: { x: 50, y: 5, side: 'right' },
  forehead: { x: 50, y: 8, side: 'left' },
  eyes: { x: 42, y: 14, side: 'left' },
  nose: { x: 50, y: 20, side: 'right' },
  skin: { x: 39, y: 25, side: 'left' },
  face: { x: 61, y: 28, side: 'right' },
  lips: { x: 50, y: 31, side: 'left' },
  chin: { x: 50, y: 36, side: 'right' },
  neck: { x: 50, y: 41, side: 'left' },
  breast: { x: 50, y: 49, side: 'right' },
  arms: { x: 22, y: 56, side: 'left' },
  body: { x: 57, y: 58, side: 'right' },
  abdomen: { x: 50, y: 66, side: 'right' },
  legs: { x: 41, y: 86, side: 'left' },
};
// Labels take this share of the box's width on their side.
const LABEL_WIDTH = 24;

/** 面部（轮廓、填充、抗衰） → 面部 */
function shortLabel(label: string): string {
  return label.split(/[（(，,]/)[0].slice(0, 5);
}

Component({
  options: { addGlobalClass: true },
  properties: {
    options: { type: Array, value: [] as Option[] },
    value: { type: Array, value: [] as string[] },
  },
  data: {
    spots: [] as { value: string; short: string; on: boolean; dot: string; line: string; label: string; side: string }[],
    chips: [] as { value: string; label: string; on: boolean }[],
  },
  observers: {
    'options, value': function (this: WechatMiniprogram.Component.TrivialInstance, options: Option[], value: string[]) {
      const picked = value ?? [];
      const spots = (options ?? [])
        .filter((o) => PLACES[o.value])
        .map((o) => {
          const p = PLACES[o.value];
          const left = p.side === 'left';
          const lineFrom = left ? LABEL_WIDTH : p.x;
          const lineTo = left ? p.x : 100 - LABEL_WIDTH;
          return {
            value: o.value,
            short: shortLabel(o.label),
            on: picked.includes(o.value),
            side: p.side,
            dot: `left:${p.x}%;top:${p.y}%;`,
            line: `left:${lineFrom}%;width:${Math.max(0, lineTo - lineFrom)}%;top:${p.y}%;`,
            label: `${left ? 'left:0' : 'right:0'};top:${p.y}%;width:${LABEL_WIDTH}%;`,
          };
        });
      const chips = (options ?? []).map((o) => ({ value: o.value, label: o.label, on: picked.includes(o.value) }));
      this.setData({ spots, chips });
    },
  },
  methods: {
    onTap(e: WechatMiniprogram.BaseEvent) {
      this.triggerEvent('toggle', { value: e.currentTarget.dataset.value as string });
    },
  },
});
