// The other end of the playground's AlertProvider (type generic): a webhook receiver on
// loopback that hands every notification the operator delivers to the screen. Deliveries
// are retried by the operator with the same id, so duplicates are dropped here, as the
// generic payload's documentation tells receivers to do.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { GenericPayload } from '../operator/notifications/generic.js';

/** The part of a generic payload the playground shows; everything else is passed through untouched. */
export type ReceivedNotification = Pick<GenericPayload, 'id' | 'name' | 'namespace' | 'event' | 'severity' | 'message'> &
  Partial<Pick<GenericPayload, 'revision' | 'weight' | 'metric' | 'value' | 'threshold' | 'image' | 'timestamp'>> & { receivedAt: number };

const MAX_BODY_BYTES = 64 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a delivery; a body that is no generic payload gets an error naming the field. */
export function parseNotification(body: string, receivedAt: number): ReceivedNotification | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { error: 'body is not JSON' };
  }
  if (!isRecord(raw)) return { error: 'body is not a JSON object' };
  for (const field of ['id', 'name', 'namespace', 'event', 'severity', 'message'] as const) {
    if (typeof raw[field] !== 'string') return { error: `field ${field} must be a string` };
  }
  const parsed = raw as unknown as GenericPayload;
  return {
    id: parsed.id,
    name: parsed.name,
    namespace: parsed.namespace,
    event: parsed.event,
    severity: parsed.severity,
    message: parsed.message,
    ...(typeof parsed.revision === 'string' ? { revision: parsed.revision } : {}),
    ...(typeof parsed.weight === 'number' ? { weight: parsed.weight } : {}),
    ...(typeof parsed.metric === 'string' ? { metric: parsed.metric } : {}),
    ...(typeof parsed.value === 'number' ? { value: parsed.value } : {}),
    ...(isRecord(parsed.threshold) ? { threshold: parsed.threshold } : {}),
    ...(typeof parsed.image === 'string' ? { image: parsed.image } : {}),
    ...(typeof parsed.timestamp === 'string' ? { timestamp: parsed.timestamp } : {}),
    receivedAt,
  };
}

export class NotificationReceiver {
  private readonly seen = new Set<string>();
  private readonly received: ReceivedNotification[] = [];
  private readonly server: Server;
  private port = 0;

  constructor(private readonly onNotification: (n: ReceivedNotification) => void) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/notifications`;
  }

  all(): readonly ReceivedNotification[] {
    return this.received;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    let body = '';
    let tooLarge = false;
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) tooLarge = true;
    });
    req.on('end', () => {
      if (tooLarge) {
        res.writeHead(413).end();
        return;
      }
      const parsed = parseNotification(body, Date.now());
      if ('error' in parsed) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`${parsed.error}\n`);
        return;
      }
      res.writeHead(200).end();
      if (this.seen.has(parsed.id)) return;
      this.seen.add(parsed.id);
      this.received.push(parsed);
      this.onNotification(parsed);
    });
  }
}
