// Writes the generated parts of the chart's documentation: the values table in
// chart/README.md (from chart/values.yaml) and the argocd-cm snippet in docs/argocd.md (from
// chart/argocd/). With --check it writes nothing and exits 1 when either is out of date.
// Run from the repository root: `npm run chart:docs` / `npm run chart:docs:check`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCustomizations } from './argocd-customizations.js';
import { argocdCmSnippet, withArgocdSnippet } from './argocd-snippet.js';
import { renderValuesTable, valueRows, withValuesTable } from './chart-values-table.js';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const root = process.cwd();
  const values = await readFile(join(root, 'chart/values.yaml'), 'utf8');
  const targets: { path: string; update: (text: string) => string }[] = [
    { path: 'chart/README.md', update: (text) => withValuesTable(text, renderValuesTable(valueRows(values))) },
    { path: 'docs/argocd.md', update: (text) => withArgocdSnippet(text, argocdCmSnippet(readCustomizations(root))) },
  ];
  const stale: string[] = [];
  for (const target of targets) {
    const path = join(root, target.path);
    const current = await readFile(path, 'utf8');
    const updated = target.update(current);
    if (updated === current) continue;
    stale.push(target.path);
    if (!check) await writeFile(path, updated);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`out of date (run npm run chart:docs): ${stale.join(', ')}\n`);
    return 1;
  }
  process.stdout.write(stale.length === 0 ? 'chart docs are up to date\n' : `wrote ${stale.join(', ')}\n`);
  return 0;
}

process.exitCode = await main();
