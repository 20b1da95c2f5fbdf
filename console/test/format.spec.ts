import { describe, expect, it } from 'vitest';
import { answerText, countdown, formatDateTime, shanghaiDay, yuan } from '../src/composables/format';

describe('deadlines as people read them', () => {
  const now = new Date('2026-12-07T02:00:00Z');
  it('counts down to a future deadline in hours and minutes', () => {
    expect(countdown('2026-12-07T05:20:00Z', now)).toEqual({ text: '还剩 3小时20分', overdue: false });
  });
  it('marks a passed deadline overdue, in days once past a day', () => {
    expect(countdown('2026-12-05T23:00:00Z', now)).toEqual({ text: '已超时 1天3小时', overdue: true });
  });
  it('shows minutes under an hour', () => {
    expect(countdown(new Date(now.getTime() + 5 * 60_000), now)).toEqual({ text: '还剩 5分钟', overdue: false });
  });
});

describe('dates and money in the hospital’s terms', () => {
  it('prints times in Asia/Shanghai whatever the desk’s zone', () => {
    expect(formatDateTime('2026-12-06T16:30:00Z')).toBe('2026/12/07 00:30');
    expect(shanghaiDay(new Date('2026-12-06T16:30:00Z'))).toBe('2026-12-07');
    expect(formatDateTime(null)).toBe('—');
  });
  it('prints fen as yuan', () => {
    expect(yuan(1234550)).toBe('¥12,345.50');
    expect(yuan(null)).toBe('—');
  });
  it('prints an answer of any shape as text', () => {
    expect(answerText(['nose', { label: '皮肤' }])).toBe('nose、皮肤');
    expect(answerText(null)).toBe('—');
    expect(answerText(50000)).toBe('50000');
  });
});

describe('amounts typed at the desk', async () => {
  const { toFen } = await import('../src/composables/money');
  it('turns yuan into fen, refusing what is not an amount', () => {
    expect(toFen('20000')).toBe(2_000_000);
    expect(toFen('1,234.5')).toBe(123_450);
    expect(toFen('¥ 35000.00')).toBe(3_500_000);
    expect(toFen('12.345')).toBeNull();
    expect(toFen('abc')).toBeNull();
    expect(toFen('')).toBeNull();
  });
});
