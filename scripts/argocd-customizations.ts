// Reads Sluice's Argo CD customizations from chart/argocd/<group>/<Kind>/ (Argo CD's own
// resource_customizations layout: health.lua, actions/discovery.lua, actions/<name>/action.lua).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceCustomization } from './argocd-snippet.js';

export const ARGOCD_DIR = 'chart/argocd';

/** The order actions appear in the snippet (and Argo CD's menu): the rollout's own order. */
const ACTION_ORDER = ['promote', 'pause', 'resume', 'abort', 'retry'];

export function readCustomizations(root: string): ResourceCustomization[] {
  const base = join(root, ARGOCD_DIR);
  const result: ResourceCustomization[] = [];
  for (const group of readdirSync(base).sort()) {
    for (const kind of readdirSync(join(base, group)).sort()) {
      const dir = join(base, group, kind);
      const actionsDir = join(dir, 'actions');
      const actions = existsSync(actionsDir)
        ? readdirSync(actionsDir, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => ({ name: e.name, script: readFileSync(join(actionsDir, e.name, 'action.lua'), 'utf8') }))
        : [];
      const discoveryPath = join(actionsDir, 'discovery.lua');
      result.push({
        group,
        kind,
        health: readFileSync(join(dir, 'health.lua'), 'utf8'),
        ...(existsSync(discoveryPath) ? { discovery: readFileSync(discoveryPath, 'utf8') } : {}),
        actions: ACTION_ORDER.flatMap((name) => actions.filter((a) => a.name === name)).concat(actions.filter((a) => !ACTION_ORDER.includes(a.name))),
      });
    }
  }
  return result;
}
