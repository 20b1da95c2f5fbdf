import { Area, isPerEnv, Setting, settingsOf, Shape } from './setting';

// .env.example and README's settings table, written from the declarations by `npm run config:docs`.

const ENV_EXAMPLE_HEAD = [
  '# Every setting of the product, with its default and meaning. Copy to .env for local changes;',
  '# real environment variables win over .env. Defaults suit a local run; production must set',
  '# every secret (the start refuses development keys or a missing AppID in production).',
  '# Written by `npm run config:docs` from src/config/areas/: change a setting there, not here.',
];

export const README_TABLE_BEGIN = '<!-- settings table: written by `npm run config:docs` from src/config/areas/ -->';
export const README_TABLE_END = '<!-- end of settings table -->';

const comment = (text: string) => text.split('\n').map((line) => `# ${line}`);

function envLine(s: Setting<unknown>): string {
  if (s.default !== undefined && !isPerEnv(s.default)) return `${s.name}=${String(s.default)}`;
  const shown = s.example ?? (isPerEnv(s.default) ? s.default.production : undefined) ?? '';
  return `# ${s.name}=${String(shown)}`;
}

export function renderEnvExample(areas: Area<Shape>[]): string {
  const blocks = areas.map((a) => [
    `# --- ${a.title} ${'-'.repeat(Math.max(3, 90 - a.title.length))}`,
    ...(a.intro ? comment(a.intro) : []),
    ...settingsOf(a.settings).flatMap((s) => [...comment(s.doc), envLine(s)]),
  ].join('\n'));
  return `${[ENV_EXAMPLE_HEAD.join('\n'), ...blocks].join('\n\n')}\n`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (v: unknown) => (v === undefined ? 'unset' : v === '' ? 'empty' : `\`${String(v)}\``);

function defaultCell(d: unknown): string {
  if (!isPerEnv(d)) return code(d);
  const byValue = new Map<string, string[]>();
  for (const env of ['development', 'test', 'production'] as const) byValue.set(code(d[env]), [...(byValue.get(code(d[env])) ?? []), env]);
  return [...byValue].map(([value, envs]) => `${envs.join(', ')}: ${value}`).join('; ');
}

/** The README table: one row per variable, area by area. */
export function renderSettingsTable(areas: Area<Shape>[]): string {
  const rows = areas.flatMap((a) => [
    `| **${cell(a.title)}** | | |`,
    ...settingsOf(a.settings).map((s) => `| \`${s.name}\` | ${cell(defaultCell(s.default))} | ${cell(s.doc)} |`),
  ]);
  return [README_TABLE_BEGIN, '', '| variable | default | what it does |', '|---|---|---|', ...rows, '', README_TABLE_END].join('\n');
}

/** README with its settings table replaced (the markers must be there). */
export function withSettingsTable(readme: string, areas: Area<Shape>[]): string {
  const begin = readme.indexOf(README_TABLE_BEGIN);
  const end = readme.indexOf(README_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no settings table markers (${README_TABLE_BEGIN} … ${README_TABLE_END})`);
  return readme.slice(0, begin) + renderSettingsTable(areas) + readme.slice(end + README_TABLE_END.length);
}
