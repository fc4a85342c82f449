// The argocd-cm snippet in docs/argocd.md is rendered from the Lua files in chart/argocd/:
// its YAML nesting, and the committed document matching what the files render.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { readCustomizations } from '../../../scripts/argocd-customizations.js';
import { actionsValue, argocdCmSnippet, SNIPPET_END, SNIPPET_START, withArgocdSnippet } from '../../../scripts/argocd-snippet.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');

const sample = {
  group: 'example.dev',
  kind: 'Widget',
  health: 'local hs = {}\n\nhs.status = "Healthy"\nreturn hs\n',
  discovery: 'return {}\n',
  actions: [{ name: 'poke', script: 'obj.x = 1\nreturn obj\n' }],
};

describe('argocd-cm snippet', () => {
  it('keys health and actions as Argo CD expects, with scripts kept byte for byte', () => {
    const cm = parse(argocdCmSnippet([sample])) as { kind: string; metadata: { name: string }; data: Record<string, string> };
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(Object.keys(cm.data)).toEqual(['resource.customizations.health.example.dev_Widget', 'resource.customizations.actions.example.dev_Widget']);
    expect(cm.data['resource.customizations.health.example.dev_Widget']).toBe(sample.health);
    const actions = parse(cm.data['resource.customizations.actions.example.dev_Widget'] ?? '') as unknown;
    expect(actions).toEqual({ 'discovery.lua': 'return {}\n', definitions: [{ name: 'poke', 'action.lua': 'obj.x = 1\nreturn obj\n' }] });
  });

  it('leaves out the actions key for a kind without actions', () => {
    const cm = parse(argocdCmSnippet([{ ...sample, discovery: undefined, actions: [] }])) as { data: Record<string, string> };
    expect(Object.keys(cm.data)).toEqual(['resource.customizations.health.example.dev_Widget']);
    expect(actionsValue({ ...sample, discovery: undefined })).not.toContain('discovery.lua');
  });

  it('replaces only the text between the markers, as a fenced YAML block', () => {
    const doc = `# Title\n${SNIPPET_START}\nold\n${SNIPPET_END}\nrest\n`;
    expect(withArgocdSnippet(doc, 'a: 1\n')).toBe(`# Title\n${SNIPPET_START}\n\`\`\`yaml\na: 1\n\`\`\`\n${SNIPPET_END}\nrest\n`);
    expect(() => withArgocdSnippet('no markers', 'a: 1\n')).toThrow('markers');
  });
});

describe('docs/argocd.md', () => {
  it('carries the snippet rendered from chart/argocd (npm run chart:docs)', () => {
    const doc = readFileSync(join(root, 'docs/argocd.md'), 'utf8');
    expect(doc).toBe(withArgocdSnippet(doc, argocdCmSnippet(readCustomizations(root))));
  });

  it('covers Canary health and actions and MeshRoute health', () => {
    const customizations = readCustomizations(root);
    expect(customizations.map((c) => `${c.group}/${c.kind}`)).toEqual(['sluice.dev/Canary', 'sluice.dev/MeshRoute']);
    expect(customizations[0]?.actions.map((a) => a.name)).toEqual(['promote', 'pause', 'resume', 'abort', 'retry']);
    expect(customizations[0]?.discovery).toContain('actions["promote"]');
    expect(customizations[1]?.actions).toEqual([]);
  });
});
