/** 我的储值 (packageLoyalty/wallet): the stored-value balance, its ledger and the conversion to a voucher of equal value. */
import { loggedIn, renderPage } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { LOYALTY_API } from './demo';

const CONVERTED = { status: 201, body: { balanceFen: 24000, replayed: false, voucher: { publicId: 'vcWallet00000000000000', code: 'Kpq2345678', valueFen: 10000, expiresAt: null } } };

describe('我的储值', () => {
  it('shows the balance, own payments line by line and the referral cashback as a monthly total', async () => {
    const page = await renderPage('packageLoyalty/wallet/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(page.texts('.wallet-balance')).toEqual(['¥340']);
    expect(page.texts('.line-label')).toEqual(['储值消费', '推荐返现']);
    expect(page.texts('.line-amount')).toEqual(['-¥100', '+¥440']);
  });

  it('checks the amount before sending: more than the balance or not money is refused beside the field, nothing sent', async () => {
    const page = await renderPage('packageLoyalty/wallet/index', { storage: loggedIn(), api: { ...LOYALTY_API, 'POST /api/mp/wallet/vouchers': CONVERTED } });

    await page.input('.amount-input', '340.01');
    await page.tap('.convert-btn');
    expect(page.texts('.amount-error')).toEqual(['储值余额不足，最多可兑换 ¥340']);
    await page.input('.amount-input', '1.234');
    await page.tap('.convert-btn');
    expect(page.texts('.amount-error')).toEqual(['请输入金额，最多两位小数']);
    expect(callsTo('POST /api/mp/wallet/vouchers')).toHaveLength(0);
  });

  it('converts the amount in fen once, even on a double tap, and says where the voucher is', async () => {
    const page = await renderPage('packageLoyalty/wallet/index', { storage: loggedIn(), api: { ...LOYALTY_API, 'POST /api/mp/wallet/vouchers': CONVERTED } });

    await page.input('.amount-input', '100');
    await Promise.all([page.tap('.convert-btn'), page.tap('.convert-btn')]);
    await page.flush();

    const calls = callsTo('POST /api/mp/wallet/vouchers');
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ amountFen: 10000 });
    expect((calls[0].body as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.texts('.converted')).toEqual(['已兑换 ¥100 代金券，可在「我的券」查看']);
  });

  it('the referral page shows the stored-value balance and opens the wallet', async () => {
    const page = await renderPage('packageLoyalty/referral/index', { storage: loggedIn(), api: LOYALTY_API });

    await page.tap('.go-wallet');

    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageLoyalty/wallet/index' }]);
  });
});
