// Writes the values table into chart/README.md from chart/values.yaml. With --check it
// writes nothing and exits 1 when the README is out of date. Run from the repository root:
// `npm run chart:readme` / `npm run chart:readme:check`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderValuesTable, valueRows, withValuesTable } from './chart-values-table.js';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const readmePath = join(process.cwd(), 'chart/README.md');
  const values = await readFile(join(process.cwd(), 'chart/values.yaml'), 'utf8');
  const readme = await readFile(readmePath, 'utf8');
  const updated = withValuesTable(readme, renderValuesTable(valueRows(values)));
  if (updated === readme) {
    process.stdout.write('chart/README.md values table is up to date\n');
    return 0;
  }
  if (check) {
    process.stderr.write('chart/README.md values table is out of date (run npm run chart:readme)\n');
    return 1;
  }
  await writeFile(readmePath, updated);
  process.stdout.write('wrote chart/README.md\n');
  return 0;
}

process.exitCode = await main();
