// `kubectl sluice check FILE...`: offline validation; the work is in manifest-check.ts.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { checkManifests, errorCount, formatFinding, type ManifestSource, serverOnlyRules, summaryLine } from '../manifest-check.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

async function readSources(paths: readonly string[], io: Io): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: '-', text: await io.readStdin() });
      continue;
    }
    try {
      if ((await stat(path)).isDirectory()) {
        const files = (await readdir(path)).filter((f) => MANIFEST_FILE.test(f)).sort();
        for (const file of files) sources.push({ name: join(path, file), text: await readFile(join(path, file), 'utf8') });
      } else {
        sources.push({ name: path, text: await readFile(path, 'utf8') });
      }
    } catch (err) {
      throw new CliError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, EXIT.usage);
    }
  }
  return sources;
}

export async function runCheck(options: { files: string[]; listServerRules: boolean }, io: Io): Promise<ExitCode> {
  if (options.listServerRules) {
    io.stdout.write(`${serverOnlyRules().join('\n')}\n`);
    if (options.files.length === 0) return EXIT.ok;
  }
  const report = checkManifests(await readSources(options.files, io));
  for (const finding of report.findings) io.stdout.write(`${formatFinding(finding)}\n`);
  io.stderr.write(`${summaryLine(report)}\n`);
  return errorCount(report) === 0 ? EXIT.ok : EXIT.negative;
}
