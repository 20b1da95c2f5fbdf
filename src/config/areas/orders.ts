import Joi from 'joi';
import { area, int, setting, uniqueList } from '../setting';

export const orders = area('Orders 消费记录', {
  maxBackdateDays: int('ORDER_MAX_BACKDATE_DAYS', {
    min: 1, max: 3650, default: 30,
    doc: 'How many days in the past a recorded order\'s payment time (paidAt) may lie; an older one is refused\nwith 400 (a backdated order would skip the referral refund hold)',
  }),
});

export const imports = area('Imports 数据导入 (clients, orders, treatments from xlsx / CSV)', {
  maxBytes: int('IMPORT_MAX_BYTES', {
    min: 1024, max: 64 * 1024 * 1024, default: 10 * 1024 * 1024,
    doc: 'The largest file an upload may carry, in bytes (larger: 413 IMPORT_FILE_TOO_LARGE); default 10 MB',
  }),
  batchSize: int('IMPORT_BATCH_SIZE', {
    min: 1, max: 5000, default: 500, doc: 'Rows written per transaction; a batch with a bad row writes nothing and every row of it is reported',
  }),
});

export const marketing = area('Marketing spend and channel ROI 投放 / 全域流量', {
  channels: setting('MARKETING_CHANNELS', Joi.string().pattern(/^[a-z0-9_]{1,64}(,[a-z0-9_]{1,64})*$/, 'comma list of channel ids'), {
    default: 'xiaohongshu,douyin,baidu,dianping,referral,offline_event,wecom,website,wechat,mini_program,walk_in,phone,other',
    doc: 'Channel ids the director may record spend for (comma list of a-z 0-9 _); spend for any other id is\nrefused with 422 SPEND_CHANNEL_UNKNOWN. Use the ids clients carry as source channel / utm_source',
    map: (v) => uniqueList(v),
  }),
});
