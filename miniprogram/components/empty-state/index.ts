/** A calm "nothing here yet" block: a soft icon, a title, a line of help and an optional action. */
Component({
  options: { addGlobalClass: true },
  properties: {
    title: { type: String, value: '这里还空空的' },
    text: { type: String, value: '' },
    /** One character or emoji shown in the soft circle. */
    icon: { type: String, value: '✿' },
    actionText: { type: String, value: '' },
  },
  methods: {
    onAction() {
      this.triggerEvent('action');
    },
  },
});
