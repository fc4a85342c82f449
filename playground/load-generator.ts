// The playground's clients: a steady stream of requests to the demo's Service, sent where
// kube-proxy would send them (a watch on the Service's EndpointSlices, service-endpoints.ts).
// Before the Canary exists that is the app's pods; once the Canary has taken the Service
// over, it is the waypoint's proxies, which split the traffic between primary and canary.
// Open loop at a fixed rate (a slow answer does not slow the clients down), with a cap on
// requests in flight so that a hung backend cannot pile up sockets.
import { Agent, request } from 'node:http';
import type { KubeConfig, V1EndpointSlice } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseAddressMapping } from '../operator/address-map.js';
import { Informer } from '../operator/runtime/informer.js';
import { Resources, SERVICE_NAME_LABEL } from '../operator/runtime/resource-type.js';
import { POD_ADDRESS_MAPPING } from '../test/harness/control-plane.js';
import { countOutcome, NO_REQUESTS, type LoadCounters, type RequestOutcome } from './load-counters.js';
import { serviceEndpoints, type Endpoint } from './service-endpoints.js';

export interface LoadGeneratorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  service: string;
  /** Name of the Service port the clients use. */
  portName: string;
  requestsPerSecond: number;
  log: Logger;
}

const MAX_IN_FLIGHT = 32;
const REQUEST_TIMEOUT_MS = 5000;
const mappings = [parseAddressMapping(POD_ADDRESS_MAPPING)];

export class LoadGenerator {
  private readonly informer: Informer<V1EndpointSlice>;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  private readonly inFlight = new Set<Promise<void>>();
  private counts: LoadCounters = NO_REQUESTS;
  private targets: Endpoint[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LoadGeneratorOptions) {
    this.informer = new Informer(options.kubeConfig, {
      resource: Resources.EndpointSlice,
      namespace: options.namespace,
      labelSelector: `${SERVICE_NAME_LABEL}=${options.service}`,
      resyncPeriodMs: 0,
      backoff: { initialMs: 100, maxMs: 2000, jitter: 0.5 },
      log: options.log,
    });
    const refresh = (): void => {
      const targets = serviceEndpoints(this.informer.list(options.namespace), options.portName, mappings);
      const text = (list: readonly Endpoint[]): string => list.map((e) => `${e.address}:${e.port}`).join(' ');
      if (text(targets) !== text(this.targets)) options.log.info({ endpoints: text(targets) || '(none)' }, `endpoints of Service ${options.service}`);
      this.targets = targets;
    };
    this.informer.addHandler({ onAdd: refresh, onUpdate: refresh, onDelete: refresh });
  }

  async start(): Promise<void> {
    this.informer.start();
    if (!(await this.informer.waitForSync(AbortSignal.timeout(30_000)))) {
      throw new Error(`cannot watch the EndpointSlices of Service ${this.options.service}: ${this.informer.lastError ?? 'timed out'}`);
    }
    this.timer = setInterval(() => this.tick(), 1000 / this.options.requestsPerSecond);
  }

  counters(): LoadCounters {
    return this.counts;
  }

  endpoints(): readonly Endpoint[] {
    return this.targets;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.informer.stop();
    await Promise.all(this.inFlight);
    this.agent.destroy();
  }

  private tick(): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.counts = countOutcome(this.counts, { error: 'too many requests in flight' });
      return;
    }
    const target = this.targets[this.next++ % Math.max(1, this.targets.length)];
    if (target === undefined) {
      this.counts = countOutcome(this.counts, { error: 'no endpoint' });
      return;
    }
    const sent = this.send(target).then((outcome) => {
      this.counts = countOutcome(this.counts, outcome);
    });
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private send(target: Endpoint): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      const req = request({ host: target.address, port: target.port, path: '/', agent: this.agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const version = res.headers['x-version'];
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, version: typeof version === 'string' ? version : undefined }));
        res.on('error', () => resolve({ error: 'response aborted' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
      req.end();
    });
  }
}
