// An open-loop HTTP load generator on loopback, as the clients of a Service: a fixed request
// rate, whatever the answers' latency (a slow canary does not slow the clients down, it piles
// up requests, as it would in production), spread round-robin over the targets a callback
// names at each request (the ready waypoint pods, as kube-proxy would spread them). Every
// answer is recorded with when it was sent, its status, the version that answered and whether
// the proxy answered itself (x-sluice-reply). Bounded: it stops by itself after maxDurationMs.
import { Agent, request } from 'node:http';

export interface LoadSample {
  /** Epoch ms when the request was sent. */
  sentAt: number;
  /** Time to the complete answer, ms. */
  ms: number;
  /** HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  /** Version of the app that answered (from its JSON body). */
  version?: string;
  /** Set when the proxy answered itself: no-route, no-endpoint, upstream-failure, ... */
  reply?: string;
  error?: string;
  /** The label of the request kind (see LoadOptions.kinds). */
  kind?: string;
}

export interface LoadKind {
  label: string;
  /** Share of the requests of this kind, 0..1; the rest are plain. */
  share: number;
  headers: Record<string, string>;
}

export interface LoadOptions {
  /** host:port of every target to spread requests over, asked at each request. */
  targets: () => string[];
  ratePerSecond?: number;
  /** Requests of another kind (say, with the A/B header), by share. */
  kinds?: LoadKind[];
  path?: string;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** Requests in flight beyond this are not sent but recorded as failed (status 0). Default 500. */
  maxInFlight?: number;
  /** Stops by itself after this long. Default 5 minutes. */
  maxDurationMs?: number;
}

export class LoadGenerator {
  readonly samples: LoadSample[] = [];
  private readonly agents = new Map<string, Agent>();
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();
  private readonly pending = new Set<Promise<void>>();
  private sent = 0;
  private next = 0;
  private inFlight = 0;
  private stopped = false;

  private constructor(private readonly options: LoadOptions) {
    // Ticks every 5 ms and sends what the rate says is due, so the schedule does not drift
    // when a tick is late (the event loop is busy); a late tick sends a small burst.
    this.timer = setInterval(() => this.tick(), 5);
  }

  static start(options: LoadOptions): LoadGenerator {
    return new LoadGenerator(options);
  }

  private tick(): void {
    const elapsed = Date.now() - this.started;
    if (elapsed > (this.options.maxDurationMs ?? 300_000)) {
      clearInterval(this.timer);
      return;
    }
    const due = Math.floor((elapsed / 1000) * (this.options.ratePerSecond ?? 100));
    while (this.sent < due) {
      this.sent++;
      const p = this.send();
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private kindOf(): LoadKind | undefined {
    let draw = Math.random();
    for (const kind of this.options.kinds ?? []) {
      if (draw < kind.share) return kind;
      draw -= kind.share;
    }
    return undefined;
  }

  private agentFor(target: string): Agent {
    let agent = this.agents.get(target);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 64 });
      this.agents.set(target, agent);
    }
    return agent;
  }

  private send(): Promise<void> {
    const sentAt = Date.now();
    const kind = this.kindOf();
    const record = (sample: Omit<LoadSample, 'sentAt' | 'kind'>): void => {
      this.samples.push({ sentAt, ...sample, ...(kind ? { kind: kind.label } : {}) });
    };
    const targets = this.options.targets();
    if (targets.length === 0) {
      record({ ms: 0, status: 0, error: 'no target' });
      return Promise.resolve();
    }
    if (this.inFlight >= (this.options.maxInFlight ?? 500)) {
      record({ ms: 0, status: 0, error: 'not sent: too many requests in flight' });
      return Promise.resolve();
    }
    const target = targets[this.next++ % targets.length] as string;
    const [host, port] = target.split(':');
    const started = performance.now();
    this.inFlight++;
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = (sample: Omit<LoadSample, 'sentAt' | 'kind' | 'ms'>): void => {
        if (done) return;
        done = true;
        this.inFlight--;
        record({ ms: performance.now() - started, ...sample });
        resolve();
      };
      const req = request(
        { host, port: Number(port), path: this.options.path ?? '/', agent: this.agentFor(target), headers: kind?.headers ?? {}, timeout: this.options.timeoutMs ?? 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let version: string | undefined;
            try {
              version = (JSON.parse(Buffer.concat(chunks).toString()) as { version?: string }).version;
            } catch {
              // The proxy's own answers are plain text.
            }
            const reply = res.headers['x-sluice-reply'];
            finish({ status: res.statusCode ?? 0, ...(version ? { version } : {}), ...(typeof reply === 'string' ? { reply } : {}) });
          });
          res.on('error', (err) => finish({ status: 0, error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => finish({ status: 0, error: err.message }));
      req.end();
    });
  }

  /** Stops sending, waits for the answers in flight, and returns every sample. */
  async stop(): Promise<LoadSample[]> {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.timer);
      await Promise.all([...this.pending]);
      for (const agent of this.agents.values()) agent.destroy();
    }
    return this.samples;
  }
}
