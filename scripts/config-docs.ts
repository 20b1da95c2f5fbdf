// Writes .env.example and README's settings table from the setting declarations (src/config/areas/).
import fs from 'node:fs';
import path from 'node:path';
import { AREAS } from '../src/config';
import { renderEnvExample, withSettingsTable } from '../src/config/docs';

const root = path.resolve(__dirname, '..');
const areas = Object.values(AREAS);
fs.writeFileSync(path.join(root, '.env.example'), renderEnvExample(areas));
const readme = path.join(root, 'README.md');
fs.writeFileSync(readme, withSettingsTable(fs.readFileSync(readme, 'utf8'), areas));
console.log('wrote .env.example and the settings table of README.md');
