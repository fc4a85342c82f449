// The Dockerfile cannot be built here (no container engine), so its invariants are checked
// against the build output instead: a non-root runtime user that matches the chart, the two
// commands the cluster runs (the chart's `sluice-operator`, the waypoints' `sluice-proxy`)
// pointing at built entry points, everything those entry points import inside what the
// image copies (and only production dependencies), and the chart's default image being the
// one the Dockerfile documents. Then the runtime layout is rebuilt in a temporary directory
// the way the Dockerfile does it (symlinks, rewritten shebang) and both commands are run.
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { waypointDeployment } from '../../../operator/meshroute/waypoint.js';
import { repoRoot } from '../../harness/index.js';
import { find, Helm, tempDir } from './support.js';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; dependencies: Record<string, string> };
const values = parse(readFileSync(join(repoRoot, 'chart/values.yaml'), 'utf8')) as {
  image: { repository: string };
  operator: { podSecurityContext: { runAsUser: number; runAsGroup: number } };
};
const chart = parse(readFileSync(join(repoRoot, 'chart/Chart.yaml'), 'utf8')) as { appVersion: string };

/** Dockerfile instructions with continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l.length > 0 && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([line]);
  else acc[acc.length - 1]?.push(line);
  return acc;
}, []);
const buildStage = stages[0] ?? [];
const runtimeStage = stages[stages.length - 1] ?? [];
/** Commands in the image: name → where the symlink points inside the image. */
const commands = new Map([...dockerfile.matchAll(/ln -s (\/app\/\S+) \/out\/usr\/local\/bin\/(\S+)/g)].map((m) => [m[2] ?? '', m[1] ?? '']));
/** Source folders the build stage copies. */
const copied = buildStage.flatMap((l) => /^COPY\s+(?!--)(\S+)\/\s+\S+$/.exec(l)?.[1] ?? []);

function distPath(imagePath: string): string {
  return join(repoRoot, imagePath.replace(/^\/app\//, ''));
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module the entry points load, transitively: relative files and bare packages. */
function importClosure(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() ?? '';
    if (files.has(file)) continue;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
    }
  }
  return { files, packages };
}

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolvePromise({ code, out: stdout + stderr });
    });
  });
}

describe('Dockerfile', () => {
  it('builds on Node.js slim and runs on distroless Node.js as a non-root user that matches the chart', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage[0]).toMatch(/^FROM node:\$\{NODE_MAJOR\}-bookworm-slim AS build$/);
    expect(runtimeStage[0]).toBe('FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot');
    const nodeMajor = /^ARG NODE_MAJOR=(\d+)$/m.exec(dockerfile)?.[1];
    expect(nodeMajor).toBe(process.versions.node.split('.')[0]);
    expect(pkg.engines.node).toMatch(new RegExp(`^>=${nodeMajor}\\.`));
    const user = runtimeStage.find((l) => l.startsWith('USER '));
    expect(user).toBe(`USER ${values.operator.podSecurityContext.runAsUser}:${values.operator.podSecurityContext.runAsGroup}`);
    expect(values.operator.podSecurityContext.runAsUser).toBeGreaterThan(0);
    expect(runtimeStage).toContain('ENTRYPOINT ["sluice-operator"]');
    expect(runtimeStage.some((l) => /^ENV .*PATH=\/usr\/local\/bin:/.test(l))).toBe(true);
  });

  it('has both commands, pointing at built entry points whose shebang the build rewrites', () => {
    expect([...commands.keys()].sort()).toEqual(['sluice-operator', 'sluice-proxy']);
    for (const [name, target] of commands) {
      const file = distPath(target);
      expect({ name, exists: existsSync(file) }).toEqual({ name, exists: true });
      expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
      expect(dockerfile).toContain(`/out${target}`);
    }
    expect(dockerfile).toContain("sed -i '1s|^#!/usr/bin/env node$|#!/nodejs/bin/node|'");
  });

  it('provides the commands the cluster runs: the chart\'s operator and the operator\'s waypoints', async () => {
    const helm = new Helm();
    try {
      const deployment = find(await helm.template('sluice', 'sluice-system'), 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { command: string[]; image: string }[] } } };
      };
      const operator = deployment.spec.template.spec.containers[0];
      expect(operator?.command).toEqual(['sluice-operator']);
      expect(commands.has(operator?.command[0] ?? '')).toBe(true);
      // The documented build tag is the chart's default image.
      expect(dockerfile).toContain(`docker build -t ${operator?.image} .`);
      expect(operator?.image).toBe(`${values.image.repository}:${chart.appVersion}`);
    } finally {
      helm.remove();
    }
    const waypoint = waypointDeployment('ns', { image: 'x', replicas: 1, configServerUrl: 'https://x' });
    const proxyCommand = waypoint.spec?.template.spec?.containers[0]?.command ?? [];
    expect(proxyCommand).toEqual(['sluice-proxy']);
    expect(commands.has(proxyCommand[0] ?? '')).toBe(true);
    expect(chart.appVersion).toBe(pkg.version);
    expect(dockerfile).toMatch(new RegExp(`^ARG VERSION=${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('copies every source folder the entry points need, and the image needs only production dependencies', () => {
    expect(copied.sort()).toEqual(['analysis', 'crds', 'operator', 'proxy']);
    for (const folder of copied) expect(dockerignore.split('\n').map((l) => l.trim())).not.toContain(folder);
    const { files, packages } = importClosure([...commands.values()].map(distPath));
    const outside = [...files].map((f) => relative(join(repoRoot, 'dist'), f)).filter((f) => !copied.includes(f.split('/')[0] ?? ''));
    expect(outside).toEqual([]);
    const notProduction = [...packages].filter((p) => !(p in pkg.dependencies));
    expect(notProduction).toEqual([]);
    expect(files.size).toBeGreaterThan(20);
  });

  it('runs both commands from a copy of the image layout (symlinked, shebang rewritten)', async () => {
    const root = tempDir('sluice-image-');
    try {
      const app = join(root.dir, 'app');
      mkdirSync(join(app, 'dist'), { recursive: true });
      for (const folder of copied) cpSync(join(repoRoot, 'dist', folder), join(app, 'dist', folder), { recursive: true });
      cpSync(join(repoRoot, 'package.json'), join(app, 'package.json'));
      symlinkSync(join(repoRoot, 'node_modules'), join(app, 'node_modules'));
      const bin = join(root.dir, 'usr/local/bin');
      mkdirSync(bin, { recursive: true });
      for (const [name, target] of commands) {
        const file = join(root.dir, target);
        // The same rewrite as the Dockerfile's sed, to this machine's node instead of distroless'.
        writeFileSync(file, readFileSync(file, 'utf8').replace(/^#!\/usr\/bin\/env node\n/, `#!${process.execPath}\n`));
        chmodSync(file, 0o755);
        symlinkSync(file, join(bin, name));
      }
      const proxy = await run(join(bin, 'sluice-proxy'), ['--help']);
      expect(proxy).toMatchObject({ code: 0, out: expect.stringContaining('sluice-proxy') });
      const operator = await run(join(bin, 'sluice-operator'), ['--help']);
      expect(operator).toMatchObject({ code: 0, out: expect.stringContaining('Usage: sluice-operator') });
      const wrongFlag = await run(join(bin, 'sluice-operator'), ['--no-such-flag']);
      expect(wrongFlag).toMatchObject({ code: 2, out: expect.stringContaining('unknown flag --no-such-flag') });
    } finally {
      root.remove();
    }
  });
});
