import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff } from '../helpers/factories';
import { BROWSER_ENV, CHROMIUM, CHROMIUM_ARGS, ensureConsoleBuilt, listen, loginThroughPage, watchErrors } from '../helpers/browser';
import { qrModules } from '../../console/src/composables/qr';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Staff } from '../../src/modules/staff';

jest.setTimeout(180_000);

/** The QR as grey levels (0 dark, 255 light), `scale` px a module, with a quiet zone, on a `size`² canvas. */
function qrGrey(text: string, size: number, scale: number): Uint8Array {
  const modules = qrModules(text);
  const grey = new Uint8Array(size * size).fill(255);
  const offset = Math.floor((size - modules.length * scale) / 2);
  modules.forEach((row, r) => row.forEach((dark, c) => {
    if (!dark) return;
    for (let y = 0; y < scale; y++) for (let x = 0; x < scale; x++) grey[(offset + r * scale + y) * size + offset + c * scale + x] = 0;
  }));
  return grey;
}

/** A still video for Chromium's fake camera (--use-file-for-fake-video-capture): Y4M 4:2:0, a few frames of the QR. */
function y4m(text: string, size = 320): Buffer {
  const grey = qrGrey(text, size, 6);
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.from(grey), chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`), ...Array(5).fill(frame)]);
}

/** The same QR as a 24-bit BMP, a picture the browser decodes (an uploaded photo of the client's phone). */
function bmp(text: string, size = 240): Buffer {
  const grey = qrGrey(text, size, 5);
  const rowBytes = Math.ceil((size * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0);
  header.writeUInt32LE(54 + rowBytes * size, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(size, 18);
  header.writeInt32LE(-size, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  const pixels = Buffer.alloc(rowBytes * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels.fill(grey[y * size + x], y * rowBytes + x * 3, y * rowBytes + x * 3 + 3);
  return Buffer.concat([header, pixels]);
}

describe('console walkthrough: 核销 by scanning the voucher QR with the desk camera, or from a picture', () => {
  let t: TestContext;
  let server: { url: string; close(): Promise<void> };
  let service: Staff;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voucher-scan-'));

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await createTestContext({ env: BROWSER_ENV });
    service = await createStaff(t, 'customer_service', { displayName: '何客服' });
    server = await listen(t);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function issuedVoucher(): Promise<string> {
    const client = await createClient(t);
    await t.services.points.grant(null, { clientId: client.id, points: 300, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}` });
    const item = await t.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title: '补水面膜', pointsPrice: 100, stock: 10 });
    const res = await t.http.post(`/api/mp/rewards/${item.id}/redeem`).set(bearer(await clientToken(t, client))).send({ requestId: randomUUID() });
    expect(res.status).toBe(201);
    return res.body.code as string;
  }

  it('reads the QR from the camera (a fake capture device playing the QR), looks the voucher up, and redeems it once for a double click', async () => {
    const code = await issuedVoucher();
    const video = path.join(dir, 'qr.y4m');
    fs.writeFileSync(video, y4m(code));
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM, headless: true,
        args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
      });
      const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', permissions: ['camera'] });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await loginThroughPage(page, server.url, service, '/console/vouchers');
      await page.locator('[data-test=voucher-scan]').click();
      await page.locator('[data-test=voucher]').getByText('补水面膜').waitFor();
      await expect(page.locator('input[data-test=voucher-code]').inputValue()).resolves.toBe(code);
      // The camera is off once the code is read.
      await expect(page.locator('[data-test=voucher-camera]').isVisible()).resolves.toBe(false);
      await page.locator('[data-test=voucher-redeem]').dblclick();
      await page.locator('[data-test=voucher-message]').getByText('核销成功').waitFor();
      expect(await t.deps.db.query('SELECT status FROM vouchers WHERE code = ?', [code.toUpperCase()])).toEqual([{ status: 'used' }]);
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  });

  it('reads the QR from an uploaded picture; a picture without one says so', async () => {
    const code = await issuedVoucher();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
      await loginThroughPage(page, server.url, service, '/console/vouchers');
      await page.locator('input[data-test=voucher-file]').setInputFiles({ name: 'blank.bmp', mimeType: 'image/bmp', buffer: bmp('blank').fill(255, 54) });
      await page.locator('[data-test=voucher-message]').getByText('图片中没有找到券码二维码').waitFor();
      await page.locator('input[data-test=voucher-file]').setInputFiles({ name: 'voucher.bmp', mimeType: 'image/bmp', buffer: bmp(code) });
      await page.locator('[data-test=voucher]').getByText('可使用').waitFor();
      await expect(page.locator('input[data-test=voucher-code]').inputValue()).resolves.toBe(code);
    } finally {
      await browser.close();
    }
  });
});
