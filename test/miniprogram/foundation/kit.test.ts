/** The design kit's components: each rendered with its properties and driven. */
import { renderComponent } from '../helpers/render';

/** Records the events a component triggers. */
function events(c: { comp: { instance: Record<string, unknown> } }): string[] {
  const fired: string[] = [];
  const inst = c.comp.instance as { triggerEvent: (name: string, detail?: unknown) => void };
  const original = inst.triggerEvent.bind(inst);
  inst.triggerEvent = (name, detail) => {
    fired.push(name);
    original(name, detail);
  };
  return fired;
}

describe('design kit components', () => {
  it('empty-state shows its title, text and icon, and fires action on tap', async () => {
    const c = await renderComponent('components/empty-state/index', { title: '还没有方案', text: '医生面诊后会在这里给您方案', actionText: '去预约', icon: '案' });
    expect(c.texts('.empty-title')).toEqual(['还没有方案']);
    expect(c.texts('.empty-text')).toEqual(['医生面诊后会在这里给您方案']);
    expect(c.texts('.empty-icon')).toEqual(['案']);
    const fired = events(c);
    await c.tap('.empty-action');
    expect(fired).toEqual(['action']);
  });

  it('empty-state without text or action shows neither', async () => {
    const c = await renderComponent('components/empty-state/index', {});
    expect(c.texts('.empty-title')).toEqual(['这里还空空的']);
    expect(c.has('.empty-text')).toBe(false);
    expect(c.has('.empty-action')).toBe(false);
  });

  it('error-banner is hidden without a message, shows it with one, and fires retry', async () => {
    const c = await renderComponent('components/error-banner/index', { message: '' });
    expect(c.has('.error-banner')).toBe(false);
    c.comp.setData({ message: '网络不太稳定，请检查网络后重试' });
    await c.flush();
    expect(c.texts('.error-message')).toEqual(['网络不太稳定，请检查网络后重试']);
    expect(c.texts('.error-retry')).toEqual(['重试']);
    const fired = events(c);
    await c.tap('.error-retry');
    expect(fired).toEqual(['retry']);
  });

  it('loading shows skeleton cards by rows, or dots with a text, and nothing when show is false', async () => {
    const sk = await renderComponent('components/loading/index', { rows: 2 });
    expect(sk.comp.querySelectorAll('.skeleton-card')).toHaveLength(2);
    const dots = await renderComponent('components/loading/index', { mode: 'dots', text: '正在整理您的数据' });
    expect(dots.texts('.dots-text')).toEqual(['正在整理您的数据']);
    expect(dots.has('.skeleton-card')).toBe(false);
    const off = await renderComponent('components/loading/index', { show: false });
    expect(off.has('.loading')).toBe(false);
  });

  it('card shows title, subtitle and extra; only a tappable card fires cardtap', async () => {
    const c = await renderComponent('components/card/index', { title: '我的方案', subtitle: '陈静医生', extra: '待确认', tappable: true });
    expect(c.texts('.card-title')).toEqual(['我的方案']);
    expect(c.texts('.card-subtitle')).toEqual(['陈静医生']);
    expect(c.text()).toContain('待确认');
    expect(c.has('.arrow')).toBe(true);
    const fired = events(c);
    await c.tap('.card');
    expect(fired).toEqual(['cardtap']);

    const still = await renderComponent('components/card/index', { title: '说明' });
    const none = events(still);
    await still.tap('.card');
    expect(none).toEqual([]);
    expect(still.has('.arrow')).toBe(false);
  });

  it('privacy-note says the reassuring default, or the given text', async () => {
    expect((await renderComponent('components/privacy-note/index')).text()).toBe('您的健康信息仅医生可见，已加密保存');
    expect((await renderComponent('components/privacy-note/index', { text: '监护人信息已加密保存' })).text()).toBe('监护人信息已加密保存');
  });
});
