// Writes the CRD YAML (crds/, chart/crds/) and docs/api-reference.md from crds/*.ts.
// With --check it writes nothing and exits 1 if any committed file is out of date.
// Run from the repository root: `npm run crds:generate` / `npm run crds:check`.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generatedFiles } from '../crds/render.js';

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const root = process.cwd();
  const stale: string[] = [];
  for (const file of generatedFiles()) {
    const path = join(root, file.path);
    if ((await readOrEmpty(path)) === file.content) continue;
    stale.push(file.path);
    if (!check) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
  }
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`out of date (run npm run crds:generate): ${stale.join(', ')}\n`);
      return 1;
    }
    process.stdout.write('generated CRDs and API reference are up to date\n');
    return 0;
  }
  process.stdout.write(stale.length > 0 ? `wrote ${stale.join(', ')}\n` : 'nothing to update\n');
  return 0;
}

process.exitCode = await main();
