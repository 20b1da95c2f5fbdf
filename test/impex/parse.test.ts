import { excelSerialDay, parseAmountFen, parseDate, parseDay, parsePhoneCell } from '../../src/modules/impex/impex.parse';
import { guessMapping } from '../../src/modules/impex/impex.kinds';

const day = (cell: Parameters<typeof parseDay>[0]) => {
  const r = parseDay(cell);
  return r.ok ? r.value : `bad: ${r.reason}`;
};

describe('dates in an import', () => {
  it('reads Excel day numbers, counting past the 1900 leap-year bug', () => {
    expect(day(1)).toBe('1900-01-01');
    expect(day(59)).toBe('1900-02-28');
    expect(day(61)).toBe('1900-03-01');
    expect(day(45351)).toBe('2024-02-29');
    expect(day(45352)).toBe('2024-03-01');
    expect(day('45351')).toBe('2024-02-29');
  });

  it('refuses Excel day 60, the 1900-02-29 that never was, and day numbers below 1', () => {
    expect(excelSerialDay(60).ok).toBe(false);
    expect(day(0)).toMatch(/^bad/);
  });

  it('reads the time of day of a serial as Shanghai wall-clock time', () => {
    const r = parseDate(45351.75);
    expect(r.ok && r.value.toISOString()).toBe('2024-02-29T10:00:00.000Z');
  });

  it('reads text in three formats as the Shanghai calendar day', () => {
    for (const t of ['2024/2/29', '2024-02-29', '2024年2月29日']) expect(day(t)).toBe('2024-02-29');
    const r = parseDate('2024-02-29');
    expect(r.ok && r.value.toISOString()).toBe('2024-02-28T16:00:00.000Z');
    const withTime = parseDate('2024-02-29 14:30');
    expect(withTime.ok && withTime.value.toISOString()).toBe('2024-02-29T06:30:00.000Z');
  });

  it('refuses days that are not in the calendar, and day-month orders that could be read two ways', () => {
    expect(day('2023-02-29')).toMatch(/not a calendar day/);
    expect(day('2024/2/30')).toMatch(/not a calendar day/);
    expect(day('2024年13月1日')).toMatch(/not a calendar day/);
    expect(day('03/04/2024')).toMatch(/not a date/);
    expect(day('tomorrow')).toMatch(/not a date/);
  });

  it('takes an xlsx date cell as the wall-clock day it shows', () => {
    expect(day(new Date(Date.UTC(2024, 1, 29)))).toBe('2024-02-29');
    expect(day(new Date(Date.UTC(2023, 11, 31, 23, 59)))).toBe('2023-12-31');
  });
});

describe('phones in an import', () => {
  it('drops +86, spaces and dashes', () => {
    for (const t of ['+86 138 0013 8000', '+86-138-0013-8000', '138 0013 8000', '0086 13800138000', 13800138000]) {
      const r = parsePhoneCell(t);
      expect(r.ok && r.value).toBe('13800138000');
    }
  });

  it('refuses a phone with letters or too few digits', () => {
    expect(parsePhoneCell('138OO138000').ok).toBe(false);
    expect(parsePhoneCell('1380013').ok).toBe(false);
  });
});

describe('amounts in an import (fen, half up on the written digits)', () => {
  const fen = (cell: Parameters<typeof parseAmountFen>[0]) => {
    const r = parseAmountFen(cell);
    return r.ok ? r.value : `bad: ${r.reason}`;
  };

  it('reads ¥, ￥, commas and 元', () => {
    expect(fen('¥1,234.50')).toBe(123450);
    expect(fen('￥12,345,678')).toBe(1234567800);
    expect(fen('880元')).toBe(88000);
    expect(fen(1234.5)).toBe(123450);
    expect(fen(0.1 + 0.2)).toBe(30);
  });

  it('rounds a fraction of a fen half up, on both sides of the half', () => {
    expect(fen('0.005')).toBe(1);
    expect(fen('0.0049')).toBe(0);
    expect(fen('1.994')).toBe(199);
    expect(fen('1.995')).toBe(200);
    expect(fen(1.005)).toBe(101);
  });

  it('refuses negative amounts, misplaced commas and words', () => {
    expect(fen('-100')).toMatch(/negative/);
    expect(fen('1,23.00')).toMatch(/not an amount/);
    expect(fen('abc')).toMatch(/not an amount/);
  });
});

describe('column mapping guesses', () => {
  it('maps Chinese and English headers to fields', () => {
    expect(guessMapping('clients', ['客户编号', '姓名', '手机号', '性别', '出生日期'])).toEqual({ sourceId: 0, name: 1, phone: 2, gender: 3, birthDate: 4 });
    expect(guessMapping('orders', ['Order No', 'Client ID', 'Project Code', 'Amount', 'Paid At', 'Doctor'])).toEqual({
      sourceId: 0, client: 1, project: 2, amountFen: 3, paidAt: 4, doctor: 5,
    });
  });
});
