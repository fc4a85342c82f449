// What the chart tests share: the test environment's helm (its cache and config in a
// temporary directory, never $HOME), rendering the chart into objects, and raw API calls
// for server-side dry-run with strict field validation, so that a misspelled field in a
// template is an error instead of being dropped on the way.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { binaryPath, repoRoot } from '../../harness/index.js';

export const CHART_DIR = join(repoRoot, 'chart');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A helm with its own HELM_*_HOME directories; remove() deletes them. */
export class Helm {
  private readonly home = mkdtempSync(join(tmpdir(), 'sluice-helm-'));

  run(args: readonly string[], timeoutMs = 180_000): Promise<HelmResult> {
    const started = Date.now();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      HELM_CACHE_HOME: join(this.home, 'cache'),
      HELM_CONFIG_HOME: join(this.home, 'config'),
      HELM_DATA_HOME: join(this.home, 'data'),
      // Rendering needs no cluster; install, upgrade and lookup use the test control plane.
      ...(process.env.SLUICE_TEST_KUBECONFIG ? { KUBECONFIG: process.env.SLUICE_TEST_KUBECONFIG } : {}),
    };
    return new Promise((resolve, reject) => {
      const child = spawn(binaryPath('helm'), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started });
      });
    });
  }

  /** Runs helm and throws with its output unless it exits 0. */
  async ok(args: readonly string[], timeoutMs?: number): Promise<HelmResult> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result;
  }

  /** `helm template` of the chart as objects; `values` are --set / -f style arguments. */
  async template(release: string, namespace: string, values: readonly string[] = []): Promise<KubeObject[]> {
    const { stdout } = await this.ok(['template', release, CHART_DIR, '--namespace', namespace, ...values]);
    return parseObjects(stdout);
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
      return doc.toJSON() as KubeObject | null;
    })
    .filter((obj): obj is KubeObject => obj !== null && typeof obj === 'object' && 'kind' in obj);
}

export function find(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** Raw API requests with the admin credentials, and REST paths resolved through discovery. */
export class RawApi {
  private readonly discovery = new Map<string, Promise<ApiResourceList>>();

  constructor(private readonly kc: KubeConfig) {}

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const server = this.kc.getCurrentCluster()?.server;
    if (server === undefined) throw new Error('kubeconfig has no cluster');
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const options: RequestOptions = {
      method,
      headers: { Accept: 'application/json', ...(payload === undefined ? {} : { 'Content-Type': contentType }) },
      agent: false,
    };
    await this.kc.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, server), options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (an error page): callers read `text`.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      });
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** The object's REST path, e.g. /apis/apps/v1/namespaces/x/deployments/name. */
  async pathOf(obj: KubeObject): Promise<string> {
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    let list = this.discovery.get(base);
    if (!list) {
      list = this.request('GET', base).then((r) => {
        if (r.status !== 200) throw new Error(`discovery of ${base}: ${r.status} ${r.text}`);
        return r.body as ApiResourceList;
      });
      this.discovery.set(base, list);
    }
    const resource = (await list).resources.find((r) => r.kind === obj.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`the API server does not serve ${obj.kind} in ${obj.apiVersion}`);
    const scope = resource.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
    return `${base}${scope}/${resource.name}/${encodeURIComponent(obj.metadata.name)}`;
  }

  /**
   * Server-side apply with dryRun=All and fieldValidation=Strict: the API server runs
   * defaulting, validation (schemas, CEL rules) and admission, and stores nothing.
   */
  async dryRunApply(obj: KubeObject, fieldManager = 'sluice-chart-test'): Promise<ApiResponse> {
    const path = await this.pathOf(obj);
    const query = `?dryRun=All&fieldValidation=Strict&force=true&fieldManager=${encodeURIComponent(fieldManager)}`;
    return this.request('PATCH', path + query, obj, 'application/apply-patch+yaml');
  }
}

/** A temporary directory removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
