/** The reassuring line under anything personal, e.g. 「您的健康信息仅医生可见，已加密保存」. */
Component({
  options: { addGlobalClass: true },
  properties: {
    text: { type: String, value: '您的健康信息仅医生可见，已加密保存' },
  },
});
