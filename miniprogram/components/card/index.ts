/** A white rounded card with an optional title row (title, subtitle, a right-hand note, an arrow when tappable). */
Component({
  options: { addGlobalClass: true, multipleSlots: true },
  properties: {
    title: { type: String, value: '' },
    subtitle: { type: String, value: '' },
    extra: { type: String, value: '' },
    tappable: { type: Boolean, value: false },
    /** 'default' | 'soft' (rose tint, no shadow) */
    tone: { type: String, value: 'default' },
  },
  methods: {
    onTap() {
      if (this.data.tappable) this.triggerEvent('cardtap');
    },
  },
});
