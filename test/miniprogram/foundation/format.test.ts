/** utils/format.ts: money in fen, dates on the Asia/Shanghai calendar, masked phones. */
import { mpModule } from '../helpers/render';

const f = mpModule<{
  money(fen: number | null | undefined): string;
  thousands(n: number): string;
  date(v: string | null): string;
  isoDate(v: string | number): string;
  dateTime(v: string): string;
  friendlyDateTime(v: string, now: number): string;
  daysFrom(v: string, now: number): number;
  maskPhone(p: string | null): string;
  ageOn(b: string, now: number): number | undefined;
}>('utils/format');

it('money: fen to yuan, thousands separated, cents only when there are some', () => {
  expect(f.money(0)).toBe('¥0');
  expect(f.money(128000)).toBe('¥1,280');
  expect(f.money(1250)).toBe('¥12.50');
  expect(f.money(123456789)).toBe('¥1,234,567.89');
  expect(f.money(-500)).toBe('-¥5');
  expect(f.money(null)).toBe('—');
  expect(f.thousands(12800)).toBe('12,800');
});

it('dates are Shanghai calendar dates whatever the UTC day', () => {
  // 2026-03-08 17:30 UTC is 3月9日 01:30 in Shanghai.
  expect(f.date('2026-03-08T17:30:00.000Z')).toBe('2026年3月9日');
  expect(f.isoDate('2026-03-08T17:30:00.000Z')).toBe('2026-03-09');
  expect(f.dateTime('2026-03-08T17:30:00.000Z')).toBe('3月9日 周一 01:30');
  expect(f.date('1994-05-20')).toBe('1994年5月20日');
  expect(f.date(null)).toBe('—');
  expect(f.date('not a date')).toBe('—');
});

it('today / tomorrow by the Shanghai calendar', () => {
  const now = Date.parse('2026-03-08T15:00:00.000Z'); // 23:00 in Shanghai
  expect(f.friendlyDateTime('2026-03-08T15:30:00.000Z', now)).toBe('今天 23:30');
  expect(f.friendlyDateTime('2026-03-08T16:30:00.000Z', now)).toBe('明天 00:30');
  expect(f.friendlyDateTime('2026-03-10T02:00:00.000Z', now)).toBe('后天 10:00');
  expect(f.daysFrom('2026-03-07T15:00:00.000Z', now)).toBe(-1);
});

it('masks a phone number, keeps a masked one', () => {
  expect(f.maskPhone('13812345678')).toBe('138****5678');
  expect(f.maskPhone('+86 138 1234 5678')).toBe('138****5678');
  expect(f.maskPhone('138****5678')).toBe('138****5678');
  expect(f.maskPhone(null)).toBe('');
});

it('age in whole years on the Shanghai date (the day before the birthday is one year less)', () => {
  const now = Date.parse('2026-05-19T17:00:00.000Z'); // 5月20日 01:00 in Shanghai
  expect(f.ageOn('2012-05-20', now)).toBe(14);
  expect(f.ageOn('2012-05-21', now)).toBe(13);
  expect(f.ageOn('bad', now)).toBeUndefined();
});
