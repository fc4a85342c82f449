// The CA bundle waypoint proxies verify the config server with. The operator reads it from a
// file (the chart mounts it) and server-side applies it, as a ConfigMap, into every namespace
// where it runs a waypoint, next to the waypoint's other objects and removed with them. The
// file is polled: a rotated CA (a new ConfigMap behind the mount) reaches every waypoint
// namespace without restarting the operator.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WatchSource } from '../runtime/controller.js';

/** Key of the bundle in the ConfigMap; waypoints mount it as /etc/sluice/ca/ca.crt. */
export const CA_BUNDLE_KEY = 'ca.crt';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Why `pem` is not a usable CA bundle (one or more PEM certificates, nothing else), if it is not. */
export function caBundleProblem(pem: string): string | undefined {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) return 'no PEM certificate in it';
  for (const [index, block] of blocks.entries()) {
    if (block[1] !== 'CERTIFICATE') return `PEM block ${index + 1} is a ${block[1]}, not a CERTIFICATE (a private key does not belong in a CA bundle)`;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block[0]);
    } catch (err) {
      return `PEM block ${index + 1} is not a valid certificate: ${(err as Error).message}`;
    }
    if (!cert.ca) return `certificate ${index + 1} (${cert.subject.replace(/\n/g, ', ')}) is not a CA certificate`;
  }
  const rest = pem.replace(PEM_BLOCK, '').trim();
  if (rest.length > 0) return `text outside the PEM blocks: ${JSON.stringify(rest.slice(0, 40))}`;
  return undefined;
}

/** The ConfigMap a waypoint mounts; labelled as a waypoint object, so it is found and removed with them. */
export function waypointCaConfigMap(namespace: string, name: string, pem: string, labels: Readonly<Record<string, string>>): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { ...labels } },
    data: { [CA_BUNDLE_KEY]: `${pem.trim()}\n` },
  };
}

/** Where the controller gets the bundle from. */
export interface CaBundleSource {
  /** The last good bundle. */
  current(): string;
  /** Fires (with any key) when the bundle changes; the controller maps it to its namespaces. */
  changes(): WatchSource;
}

export class CaBundleError extends Error {}

/** A PEM file, read at start (an unreadable or invalid one is an error) and polled for changes. */
export class CaBundleFile implements CaBundleSource {
  private pem: string;
  private stamp: string;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly pollMs = 30_000,
  ) {
    // Stamp first: a change between the two is then seen by the next poll.
    try {
      this.stamp = this.statStamp();
    } catch (err) {
      throw new CaBundleError(`cannot read the waypoint CA bundle ${path}: ${(err as Error).message}`);
    }
    this.pem = this.read();
  }

  current(): string {
    return this.pem;
  }

  changes(): WatchSource {
    return {
      description: `CA bundle ${this.path}`,
      subscribe: (enqueue) => {
        const timer = setInterval(() => {
          if (this.reload()) enqueue('ca-bundle');
        }, this.pollMs);
        timer.unref();
        return () => clearInterval(timer);
      },
    };
  }

  /** Re-reads the file if it changed; true when the bundle did. A bad new file keeps the last good one. */
  reload(): boolean {
    let stamp: string;
    try {
      stamp = this.statStamp();
    } catch (err) {
      this.log.error({ path: this.path, reason: (err as Error).message }, 'cannot stat the waypoint CA bundle; keeping the last one');
      return false;
    }
    if (stamp === this.stamp) return false;
    try {
      const pem = this.read();
      this.stamp = stamp;
      if (pem === this.pem) return false;
      this.pem = pem;
      this.log.info({ path: this.path }, 'the waypoint CA bundle changed: applying it to every waypoint namespace');
      return true;
    } catch (err) {
      this.log.error({ path: this.path, reason: (err as Error).message }, 'the new waypoint CA bundle is unusable; keeping the last good one');
      return false;
    }
  }

  private statStamp(): string {
    const stat = statSync(this.path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  }

  private read(): string {
    let pem: string;
    try {
      pem = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new CaBundleError(`cannot read the waypoint CA bundle ${this.path}: ${(err as Error).message}`);
    }
    const problem = caBundleProblem(pem);
    if (problem) throw new CaBundleError(`the waypoint CA bundle ${this.path} is unusable: ${problem}`);
    return pem.trim();
  }
}
