/** <points-badge points="{{balance}}" />: the client's points as a small rose pill; taps go to the 积分 tab. */
import { thousands } from '../../utils/format';

Component({
  options: { addGlobalClass: true },
  properties: {
    points: { type: Number, value: 0 },
    /** Tapping opens the 积分 tab (off on the 积分 tab itself). */
    link: { type: Boolean, value: true },
  },
  data: {
    shown: '0',
  },
  observers: {
    points(points: number) {
      this.setData({ shown: thousands(points) });
    },
  },
  methods: {
    onTap() {
      if (this.data.link) wx.switchTab({ url: '/pages/points/index' });
    },
  },
});
