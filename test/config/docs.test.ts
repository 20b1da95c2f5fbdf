import fs from 'node:fs';
import path from 'node:path';
import { AREAS, CONFIG_VARIABLES } from '../../src/config';
import { README_TABLE_BEGIN, README_TABLE_END, renderEnvExample, withSettingsTable } from '../../src/config/docs';
import { settingsOf } from '../../src/config/setting';

const root = path.resolve(__dirname, '../..');
const envExample = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const areas = Object.values(AREAS);

/** Variables named by a `NAME=` or `# NAME=` line of .env.example. */
const inEnvExample = [...envExample.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
/** Variables named in the first column of README's settings table. */
const table = readme.slice(readme.indexOf(README_TABLE_BEGIN), readme.indexOf(README_TABLE_END));
const inReadme = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]);

describe('the settings documentation follows the declarations (src/config/areas/)', () => {
  it('declares each variable once, with a meaning', () => {
    const declared = areas.flatMap((a) => settingsOf(a.settings));
    expect(CONFIG_VARIABLES.filter((name, i) => CONFIG_VARIABLES.indexOf(name) !== i)).toEqual([]);
    expect(declared.filter((s) => !s.doc.trim()).map((s) => s.name)).toEqual([]);
  });

  it('.env.example documents every declared variable, and no other', () => {
    expect(CONFIG_VARIABLES.filter((name) => !inEnvExample.includes(name))).toEqual([]);
    expect(inEnvExample.filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('README\'s settings table documents every declared variable, and no other', () => {
    expect(table).toContain('| variable | default | what it does |');
    expect(CONFIG_VARIABLES.filter((name) => !inReadme.includes(name))).toEqual([]);
    expect(inReadme.filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('both are what `npm run config:docs` writes from the declarations (run it after changing one)', () => {
    expect(envExample).toBe(renderEnvExample(areas));
    expect(readme).toBe(withSettingsTable(readme, areas));
  });
});
