/**
 * Renders mini-program pages and components with miniprogram-simulate (official wxml compiler),
 * outside WeChat: a JSDOM document, the fake wx (./wx.ts), and `Page`/`App`/`getApp` shims.
 *
 *   const page = await renderPage('pages/me/index', { api: { 'GET /api/mp/me': { status: 200, body } } });
 *   expect(page.text()).toContain('我的');
 *   await page.tap('.logout');
 *
 * Works under jest (which transforms the .ts sources) and in plain node (scripts/screenshots.ts,
 * through ./register-ts.js). Mini-program modules are loaded with mpModule(), never imported.
 */
import path from 'node:path';
import { installWx, wxState, flush, setAdapter, mockApi, type Adapter, type ApiScript, type WxState } from './wx';

/** The mini-program's source root (project.config.json miniprogramRoot). */
export const MP_ROOT = path.resolve(__dirname, '../../../miniprogram');

/* eslint-disable @typescript-eslint/no-explicit-any */
type AnyObject = Record<string, any>;

interface Simulate {
  load(componentPath: string, options?: AnyObject): string;
  render(id: string, properties?: AnyObject): JComponent;
}

/** j-component's wrapper of a rendered component (see j-component's README). */
export interface JComponent {
  dom: HTMLElement;
  data: AnyObject;
  instance: AnyObject;
  querySelector(selector: string): JComponent | undefined;
  querySelectorAll(selector: string): JComponent[];
  dispatchEvent(name: string, options?: AnyObject): void;
  triggerLifeTime(name: string, args?: unknown): void;
  triggerPageLifeTime(name: string, args?: unknown): void;
  setData(data: AnyObject, cb?: () => void): void;
  attach(parent: Element): void;
  detach(): void;
}

let simulate: Simulate | undefined;
/** Non-function, non-data fields of each Page() definition, put on the instance like WeChat does. */
const pageFields = new Map<string, AnyObject>();
let loadingPagePath: string | undefined;
let app: AnyObject | undefined;

/** A JSDOM window/document as globals, unless the jest environment already provides them. */
function ensureDom(): void {
  const g = globalThis as AnyObject;
  if (typeof g.window !== 'undefined' && typeof g.document !== 'undefined') return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JSDOM } = require('jsdom') as typeof import('jsdom');
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true });
  g.window = dom.window;
  g.document = dom.window.document;
  // Events must be the document's own (Node 20 has global Event/CustomEvent that jsdom refuses).
  for (const k of ['Event', 'CustomEvent', 'TouchEvent']) g[k] = (dom.window as AnyObject)[k];
  for (const k of ['Element', 'HTMLElement', 'Node', 'MouseEvent', 'KeyboardEvent', 'Text', 'DocumentFragment', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame']) {
    if (g[k] === undefined) g[k] = (dom.window as AnyObject)[k];
  }
  if (g.navigator === undefined) g.navigator = dom.window.navigator;
}

function ensureSimulate(): Simulate {
  if (simulate) return simulate;
  ensureDom();
  if (!(globalThis as AnyObject).wx) installWx();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  simulate = require('miniprogram-simulate') as Simulate;
  installShims();
  runEachDefinitionOnce();
  if (screenshotMode) showFieldValues();
  return simulate;
}

/**
 * simulate runs a page's or component's file each time a page using it is loaded, counting on
 * require.cache eviction to run it again — which jest's module registry ignores, so the second
 * page using e.g. error-banner would get no definition. Instead the Component() options of each
 * file are kept from its first run and registered again from there.
 */
function runEachDefinitionOnce(): void {
  const g = globalThis as AnyObject;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utils = require('miniprogram-simulate/src/utils') as { runJs(file: string): void };
  const simulateComponent = g.Component as (options: AnyObject) => void;
  const definitions = new Map<string, AnyObject>();
  let running: string | undefined;
  g.Component = (options: AnyObject) => {
    if (running) definitions.set(running, options);
    simulateComponent(options);
  };
  utils.runJs = (file: string) => {
    const known = definitions.get(file);
    if (known) {
      simulateComponent(known);
      return;
    }
    running = file;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } finally {
      running = undefined;
    }
  };
}

let screenshotMode = false;

/**
 * For pictures (scripts/screenshots.ts): inputs and textareas show their value or placeholder,
 * images their src as a background — simulate's built-ins render only their slot. Call before
 * the first render; tests keep the plain built-ins.
 */
export function enableScreenshotMode(): void {
  screenshotMode = true;
  if (simulate) showFieldValues();
}

function showFieldValues(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jComponent = require('j-component') as { register(def: AnyObject): string };
  const field = (name: string) =>
    jComponent.register({
      id: name,
      tagName: `wx-${name}`,
      properties: { value: { type: null, value: '' }, placeholder: { type: String, value: '' } },
      template: `<view style="color: {{value !== '' && value !== null && value !== undefined ? 'inherit' : '#b8b2ae'}}; white-space: pre-wrap;">{{value !== '' && value !== null && value !== undefined ? value : placeholder}}</view>`,
    });
  field('input');
  field('textarea');
  jComponent.register({
    id: 'image',
    tagName: 'wx-image',
    properties: { src: { type: String, value: '' }, mode: { type: String, value: 'scaleToFill' } },
    template: `<view style="width: 100%; height: 100%; background: url('{{src}}') center / {{mode === 'aspectFill' ? 'cover' : mode === 'aspectFit' || mode === 'widthFix' ? 'contain' : '100% 100%'}} no-repeat;"></view>`,
  });
}

/** Page(), App(), getApp(), getCurrentPages() as WeChat has them, over simulate's Component(). */
function installShims(): void {
  const g = globalThis as AnyObject;
  g.App = (def: AnyObject) => {
    app = def;
  };
  g.getApp = () => app ?? { globalData: {} };
  g.getCurrentPages = () => (current ? [current.instance] : []);
  g.Page = (def: AnyObject) => {
    const methods: AnyObject = {};
    const fields: AnyObject = {};
    for (const [k, v] of Object.entries(def)) {
      if (k === 'data' || k === 'options' || k === 'behaviors') continue;
      if (typeof v === 'function') methods[k] = v;
      else fields[k] = v;
    }
    if (loadingPagePath) pageFields.set(loadingPagePath, fields);
    g.Component({ data: def.data ?? {}, behaviors: def.behaviors, options: def.options, methods });
  };
}

/** Loads a module of the mini-program (e.g. 'utils/request') in this test's module registry. */
export function mpModule<T = AnyObject>(modulePath: string): T {
  ensureSimulate();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(MP_ROOT, modulePath)) as T;
}

/** Loads app.ts (App() definition) once, so getApp().globalData works; onLaunch is not called. */
function ensureApp(): void {
  if (app) return;
  try {
    mpModule('app');
  } catch (e) {
    if (!/Cannot find module/.test(String(e))) throw e;
  }
}

export interface Rendered {
  comp: JComponent;
  /** The page's (or component's) `this`. */
  instance: AnyObject;
  /** Current data. */
  readonly data: AnyObject;
  wx: WxState;
  /** All text the client sees, whitespace collapsed. */
  text(): string;
  /** Texts of the elements matching a selector (exparser's syntax: .class, #id, descendants), inside components too. */
  texts(selector: string): string[];
  /** True when an element matching the selector is rendered. */
  has(selector: string): boolean;
  /** Taps the first (or `index`-th) element matching the selector, then flushes. */
  tap(selector: string, index?: number): Promise<void>;
  /** Types into an input/textarea (fires `input` and `blur` with detail.value), then flushes. */
  input(selector: string, value: string, index?: number): Promise<void>;
  /** Fires any event (e.g. 'change' on a picker/switch, 'getphonenumber' on a button) with a detail, then flushes. */
  trigger(selector: string, event: string, detail?: unknown, index?: number): Promise<void>;
  /** Waits for pending requests and the promise chains after them. */
  flush(): Promise<void>;
  /** Calls a page lifecycle or method by name (onShow, onPullDownRefresh, onReachBottom …) and flushes. */
  call(method: string, ...args: unknown[]): Promise<unknown>;
  unmount(): void;
}

let current: Rendered | undefined;

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

interface ExparserNode {
  childNodes?: ExparserNode[];
  shadowRoot?: ExparserNode;
  querySelectorAll(selector: string): ExparserNode[];
  __componentNode__?: JComponent;
}

/**
 * Elements matching `selector` in the page and inside every custom component it uses (exparser's
 * selectors stop at component boundaries; WeChat's do too, but a test reads what the client sees).
 * In document order.
 */
export function queryAll(root: JComponent, selector: string): JComponent[] {
  const rootNode = (root as unknown as { _exparserNode: ExparserNode })._exparserNode;
  const Wrapper = Object.getPrototypeOf(Object.getPrototypeOf(root)).constructor as new (n: ExparserNode) => JComponent;
  const shadowRoots: ExparserNode[] = [];
  const walk = (n: ExparserNode) => {
    for (const c of n.childNodes ?? []) {
      if (c.shadowRoot) {
        shadowRoots.push(c.shadowRoot);
        walk(c.shadowRoot);
      }
      walk(c);
    }
  };
  if (rootNode.shadowRoot) {
    shadowRoots.push(rootNode.shadowRoot);
    walk(rootNode.shadowRoot);
  }
  const seen = new Set<ExparserNode>();
  const out: JComponent[] = [];
  for (const sr of shadowRoots) {
    for (const n of sr.querySelectorAll(selector) ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      out.push(n.__componentNode__ ?? new Wrapper(n));
    }
  }
  return out.sort((a, b) => (a.dom === b.dom ? 0 : a.dom.compareDocumentPosition(b.dom) & 4 ? -1 : 1));
}

function wrap(comp: JComponent): Rendered {
  const find = (selector: string, index = 0): JComponent => {
    const all = queryAll(comp, selector);
    const el = all[index];
    if (!el) throw new Error(`no element matches ${selector}${index ? ` [${index}]` : ''}; page text: ${collapse(comp.dom.textContent ?? '')}`);
    return el;
  };
  const r: Rendered = {
    comp,
    instance: comp.instance,
    get data() {
      return comp.instance.data as AnyObject;
    },
    wx: wxState(),
    text: () => collapse(comp.dom.textContent ?? ''),
    texts: (selector) => queryAll(comp, selector).map((c) => collapse(c.dom.textContent ?? '')),
    has: (selector) => queryAll(comp, selector).length > 0,
    async tap(selector, index) {
      find(selector, index).dispatchEvent('tap');
      await flush();
    },
    async input(selector, value, index) {
      const el = find(selector, index);
      (el.dom as unknown as { value: string }).value = value;
      el.dispatchEvent('input', { detail: { value, cursor: value.length } });
      await flush();
      el.dispatchEvent('blur', { detail: { value } });
      await flush();
    },
    async trigger(selector, event, detail, index) {
      find(selector, index).dispatchEvent(event, { detail: detail ?? {} });
      await flush();
    },
    flush: () => flush(),
    async call(method, ...args) {
      const out = await comp.instance[method](...args);
      await flush();
      return out;
    },
    unmount: () => comp.detach(),
  };
  return r;
}

const loaded = new Map<string, string>();

/** Loads (compiles and registers) a page or component once; each render makes a new instance. */
function load(sim: Simulate, full: string): string {
  let id = loaded.get(full);
  if (!id) {
    id = sim.load(full, { rootPath: MP_ROOT, compiler: 'official' });
    loaded.set(full, id);
  }
  return id;
}

export interface RenderOptions {
  /** The page's launch query (onLoad options). */
  query?: Record<string, string>;
  /** A script for mockApi, or an adapter (httpAdapter for end-to-end tests). */
  api?: ApiScript | Adapter;
  /** Keep the wx state (storage, calls) of the previous render instead of a fresh one. */
  keepWx?: boolean;
  /** Storage to start from (e.g. a token: { 'session.token': { token, expiresAt } }). */
  storage?: Record<string, unknown>;
  /** Skip onShow (default: onLoad then onShow, like WeChat). */
  noShow?: boolean;
}

function asAdapter(api: ApiScript | Adapter): Adapter {
  return typeof (api as Adapter).handle === 'function' ? (api as Adapter) : mockApi(api as ApiScript);
}

/**
 * Loads a page (path under miniprogram/, e.g. 'pages/index/index'), calls onLoad(query) and
 * onShow, waits for its requests, and returns helpers to read and drive it.
 */
export async function renderPage(pagePath: string, opts: RenderOptions = {}): Promise<Rendered> {
  const sim = ensureSimulate();
  if (!opts.keepWx) installWx({ storage: opts.storage });
  else if (opts.storage) for (const [k, v] of Object.entries(opts.storage)) wxState().storage.set(k, v);
  if (opts.api) setAdapter(asAdapter(opts.api));
  ensureApp();
  const full = path.join(MP_ROOT, pagePath);
  loadingPagePath = full;
  let id: string;
  try {
    id = load(sim, full);
  } finally {
    loadingPagePath = undefined;
  }
  const comp = sim.render(id);
  const parent = document.createElement('parent-wrapper');
  document.body.appendChild(parent);
  comp.attach(parent);
  Object.assign(comp.instance, pageFields.get(full) ?? {});
  (comp.instance as AnyObject).route = pagePath;
  (comp.instance as AnyObject).options = opts.query ?? {};
  const rendered = wrap(comp);
  current = rendered;
  if (typeof comp.instance.onLoad === 'function') await comp.instance.onLoad(opts.query ?? {});
  if (!opts.noShow) {
    if (typeof comp.instance.onShow === 'function') await comp.instance.onShow();
    comp.triggerPageLifeTime('show');
  }
  if (typeof comp.instance.onReady === 'function') await comp.instance.onReady();
  await flush();
  return rendered;
}

/** Renders a component (path under miniprogram/, e.g. 'components/card/index') with properties. */
export async function renderComponent(componentPath: string, props: AnyObject = {}, opts: { api?: ApiScript | Adapter; keepWx?: boolean } = {}): Promise<Rendered> {
  const sim = ensureSimulate();
  if (!opts.keepWx) installWx();
  if (opts.api) setAdapter(asAdapter(opts.api));
  const id = load(sim, path.join(MP_ROOT, componentPath));
  const comp = sim.render(id, props);
  const parent = document.createElement('parent-wrapper');
  document.body.appendChild(parent);
  comp.attach(parent);
  await flush();
  return wrap(comp);
}

/** The app definition (App({...}) in app.ts), e.g. to call onLaunch with launch options. */
export function appDefinition(): AnyObject {
  ensureSimulate();
  ensureApp();
  return app ?? {};
}

/** A stored token as utils/session.ts keeps it, valid for an hour (to start a test logged in). */
export function loggedIn(token = 'test-token'): Record<string, unknown> {
  return { 'session.token': { token, expiresAt: Date.now() + 3600_000 } };
}
