/**
 * Writes config/config.schema.json, the JSON Schema of the YAML configuration generated from the
 * zod schema in libs/queue/src/config/config-schema.ts (`npm run config:schema`). With `--check`,
 * writes nothing and exits 1 when the file is not current.
 */
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { configJsonSchemaText } from '../libs/queue/src/config/config-json-schema';

const file = join(__dirname, '..', 'config', 'config.schema.json');
const text = configJsonSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: not current
  }
  if (current !== text) {
    console.error(`${file} is not current: run npm run config:schema`);
    process.exit(1);
  }
  console.log(`${file} is current`);
} else {
  writeFileSync(file, text);
  console.log(`wrote ${file}`);
}
