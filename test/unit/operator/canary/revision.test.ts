import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { canonicalHash } from '../../../../operator/canonical-json.js';
import { configDataHash, podTemplateHash, referencedConfigs, targetRevision } from '../../../../operator/canary/revision.js';

const template: V1PodTemplateSpec = {
  metadata: { labels: { app: 'podinfo' } },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'ghcr.io/stefanprodan/podinfo:6.5.0',
        env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'settings', key: 'a' } } }],
        envFrom: [{ secretRef: { name: 'creds', optional: true } }],
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'settings' } },
      { name: 'p', projected: { sources: [{ secret: { name: 'tls' } }] } },
    ],
  },
};

describe('revision hashing', () => {
  it('ignores key order, absent-vs-empty values and Sluice’s own metadata', () => {
    const reordered: V1PodTemplateSpec = JSON.parse(JSON.stringify({ spec: template.spec, metadata: template.metadata }));
    reordered.metadata = { labels: { app: 'podinfo', 'sluice.dev/role': 'primary' }, annotations: {} };
    reordered.spec!.nodeSelector = {};
    expect(podTemplateHash(reordered)).toBe(podTemplateHash(template));
  });

  it('changes when what runs changes', () => {
    const changed: V1PodTemplateSpec = JSON.parse(JSON.stringify(template));
    changed.spec!.containers[0]!.image = 'ghcr.io/stefanprodan/podinfo:6.5.1';
    expect(podTemplateHash(changed)).not.toBe(podTemplateHash(template));
  });

  it('is versioned and stable: this value must never change', () => {
    expect(canonicalHash({ b: 1, a: [1, 'x', { z: null }] })).toBe(canonicalHash({ a: [1, 'x', {}], b: 1 }));
    expect(canonicalHash({ a: 1 })).toBe('r1-015abd7f5cc57a2dd94b');
  });

  it('finds every ConfigMap and Secret the template uses', () => {
    expect(referencedConfigs(template)).toEqual([
      { kind: 'configmap', name: 'settings', optional: false },
      { kind: 'secret', name: 'creds', optional: true },
      { kind: 'secret', name: 'tls', optional: false },
    ]);
  });

  it('folds config contents into the revision', () => {
    const t = podTemplateHash(template);
    const r1 = targetRevision(t, { 'configmap/settings': configDataHash({ data: { a: '1' } }) });
    const r2 = targetRevision(t, { 'configmap/settings': configDataHash({ data: { a: '2' } }) });
    expect(r1).not.toBe(r2);
    expect(targetRevision(t, {})).toBe(t);
  });
});
