// Helpers shared by the CRD integration tests: installing the CRDs once per file, creating
// our objects through CustomObjectsApi, and reading the API server's rejections.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ALERT_PROVIDER, CANARY, type KindMeta, MESH_ROUTE, METRIC_TEMPLATE } from '../../../crds/index.js';
import { installCrds } from '../../../crds/install.js';
import { repoRoot } from '../../harness/index.js';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const KINDS: Readonly<Record<string, KindMeta>> = {
  Canary: CANARY,
  MeshRoute: MESH_ROUTE,
  MetricTemplate: METRIC_TEMPLATE,
  AlertProvider: ALERT_PROVIDER,
};

export function kindOf(manifest: Manifest): KindMeta {
  const meta = KINDS[manifest.kind];
  if (meta === undefined) throw new Error(`not a Sluice kind: ${manifest.kind}`);
  return meta;
}

export async function ensureCrds(kc: KubeConfig): Promise<void> {
  await installCrds(kc, { fieldManager: 'sluice-crd-tests' });
}

export async function createObject(kc: KubeConfig, namespace: string, manifest: Manifest): Promise<Manifest> {
  const meta = kindOf(manifest);
  const body: Manifest = { ...manifest, metadata: { ...manifest.metadata, namespace } };
  return (await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: meta.group,
    version: meta.version,
    plural: meta.plural,
    namespace,
    body,
  })) as Manifest;
}

export async function getObject(kc: KubeConfig, namespace: string, manifest: Manifest): Promise<Manifest> {
  const meta = kindOf(manifest);
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: meta.group,
    version: meta.version,
    plural: meta.plural,
    namespace,
    name: manifest.metadata.name,
  })) as Manifest;
}

/** One entry of a Status' details.causes: the field the API server blames and why. */
export interface Cause {
  field: string;
  message: string;
  reason: string;
}

export interface Rejection {
  code: number;
  message: string;
  causes: Cause[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The API server's Status for a failed request, or rethrows anything else. */
export function asRejection(err: unknown): Rejection {
  if (!(err instanceof ApiException)) throw err;
  const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  if (!isRecord(body)) throw err;
  const details = isRecord(body.details) ? body.details : {};
  const causes = Array.isArray(details.causes) ? details.causes : [];
  return {
    code: err.code,
    message: typeof body.message === 'string' ? body.message : '',
    causes: causes.filter(isRecord).map((c) => ({
      field: typeof c.field === 'string' ? c.field : '',
      message: typeof c.message === 'string' ? c.message : '',
      reason: typeof c.reason === 'string' ? c.reason : '',
    })),
  };
}

/** Every document of every file under examples/, with the file it came from. */
export function exampleManifests(): { file: string; manifest: Manifest }[] {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
        return { file, manifest: doc.toJS() as Manifest };
      }),
    );
}
