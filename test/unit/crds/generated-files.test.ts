// The committed CRD YAML, the chart's copy and the API reference must be exactly what the
// TypeScript schemas generate; otherwise someone edited one without the other.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { customResourceDefinitions } from '../../../crds/definitions.js';
import { generatedFiles } from '../../../crds/render.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');

function committed(path: string): string {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return '(missing)';
  }
}

describe('generated files', () => {
  it.each(generatedFiles().map((f) => [f.path, f.content] as const))('%s is up to date (npm run crds:generate)', (path, content) => {
    expect(committed(path)).toBe(content);
  });

  it('covers every CRD in crds/, chart/crds/ and the all-in-one file', () => {
    const paths = generatedFiles().map((f) => f.path);
    for (const crd of customResourceDefinitions()) {
      expect(paths).toContain(`crds/${crd.metadata.name}.yaml`);
      expect(paths).toContain(`chart/crds/${crd.metadata.name}.yaml`);
    }
    const all = generatedFiles().find((f) => f.path === 'crds/all.yaml');
    const names = (all?.content ?? '')
      .split(/^---$/m)
      .map((doc) => (parse(doc) as { metadata: { name: string } }).metadata.name);
    expect(names).toEqual(customResourceDefinitions().map((c) => c.metadata.name));
  });

  it('writes YAML without anchors, which some CRD consumers do not resolve', () => {
    for (const file of generatedFiles().filter((f) => f.path.endsWith('.yaml'))) {
      expect(file.content).not.toMatch(/[&*]a\d+\b/);
    }
  });
});
