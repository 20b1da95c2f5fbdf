/** A gentle error line with a retry button; hidden while `message` is empty. */
Component({
  options: { addGlobalClass: true },
  properties: {
    message: { type: String, value: '' },
    retryText: { type: String, value: '重试' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
  },
});
