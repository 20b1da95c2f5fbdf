import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { readRows } from '../../src/modules/impex/impex.reader';

describe('the xlsx reader', () => {
  it('keeps every Chinese character whole in a sheet far larger than one chunk (no "��" where a character straddles two chunks)', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('客户');
    ws.addRow(['编号', '姓名', '性别', '出生日期']);
    for (let i = 0; i < 20_000; i++) ws.addRow([`K${i}`, `王小美${i}`, i % 2 ? '女' : '男', new Date(Date.UTC(1990, 1, 28))]);
    const file = Buffer.from(await wb.xlsx.writeBuffer());
    let rows = 0;
    const broken: string[] = [];
    for await (const r of readRows(() => Readable.from([file]), 'xlsx', 'clients')) {
      rows++;
      if (JSON.stringify(r.cells).includes('\uFFFD')) broken.push(`${r.line}: ${JSON.stringify(r.cells)}`);
      if (r.line === 2) expect(r.cells).toEqual(['K0', '王小美0', '男', new Date(Date.UTC(1990, 1, 28))]);
    }
    expect(rows).toBe(20_001);
    expect(broken).toEqual([]);
  });
});
