import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';

/** Values from `.env` in the working directory, if there is one; the real environment wins over them. */
export function loadDotenv(file = path.resolve(process.cwd(), '.env')): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  return parse(fs.readFileSync(file));
}
