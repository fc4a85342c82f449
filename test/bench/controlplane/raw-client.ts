// The cheapest possible proxy stand-in for the benchmark: speaks the stream protocol with no
// JSON parsing of snapshots (it reads the version from the start of the line and ACKs), so
// that 500 of them on one small machine measure the control plane rather than the clients.
import * as http from 'node:http';
import { encodeMessage, NDJSON_CONTENT_TYPE, STREAM_PATH } from '../../../operator/config-server/protocol.js';

const SNAPSHOT_PREFIX = '{"type":"snapshot","version":"';

export class RawClient {
  private req: http.ClientRequest | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly url: string,
    private readonly proxyId: string,
    private readonly token: string,
    private readonly statsLine: string,
  ) {}

  start(): void {
    const url = new URL(STREAM_PATH, this.url);
    url.searchParams.set('proxyId', this.proxyId);
    const req = http.request(url, { method: 'POST', agent: false, headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': NDJSON_CONTENT_TYPE } });
    this.req = req;
    req.on('error', () => this.stop());
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.stop();
        return;
      }
      req.socket?.setNoDelay(true);
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.startsWith(SNAPSHOT_PREFIX)) {
            const version = line.slice(SNAPSHOT_PREFIX.length, line.indexOf('"', SNAPSHOT_PREFIX.length));
            req.write(encodeMessage({ type: 'ack', version }));
          }
          newline = pending.indexOf('\n');
        }
      });
      this.timers.push(setInterval(() => req.write(encodeMessage({ type: 'ping' })), 2_000));
      this.timers.push(setInterval(() => req.write(this.statsLine), 1_000));
    });
    req.flushHeaders();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.req?.end();
    this.req?.destroy();
  }
}
