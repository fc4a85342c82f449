// Just enough of RFC 6455 for an echo test through the proxy: handshake, and text frames up
// to 64 KiB (masked from client to server, as the RFC requires).
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function encodeFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  if (payload.length >= 65_536) throw new Error('frame too large for this test peer');
  const header = payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
  if (!masked) return Buffer.concat([header, payload]);
  header[1] = (header[1] as number) | 0x80;
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([header, mask, body]);
}

/** Yields complete frames from a stream of chunks. */
export class FrameReader {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): { opcode: number; payload: Buffer }[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const frames: { opcode: number; payload: Buffer }[] = [];
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) break;
      const opcode = (b[0] as number) & 0x0f;
      const masked = ((b[1] as number) & 0x80) !== 0;
      let length = (b[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        offset = 4;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (b.length < offset + length) break;
      let payload = b.subarray(offset, offset + length);
      if (masked) payload = Buffer.from(payload.map((x, i) => x ^ (b[maskOffset + (i % 4)] as number)));
      frames.push({ opcode, payload });
      this.buffered = b.subarray(offset + length);
    }
    return frames;
  }
}

/** A WebSocket server that echoes text frames prefixed with its name. */
export async function startEchoServer(name: string): Promise<{ port: number; handshakes: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const handshakes: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((_req, res) => {
    res.statusCode = 426;
    res.end('websocket only');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handshakes.push(req.headers);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.opcode === 0x8) {
          socket.end(encodeFrame(0x8, Buffer.alloc(0), false));
          return;
        }
        if (f.opcode === 0x1) socket.write(encodeFrame(0x1, Buffer.from(`${name}: ${f.payload.toString()}`), false));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface WebSocketClient {
  send(text: string): void;
  next(): Promise<string>;
  close(): Promise<void>;
  readonly socket: Socket;
}

/** Opens a WebSocket to 127.0.0.1:port; rejects with the status if the handshake is refused. */
export function connectWebSocket(port: number, path = '/', headers: Record<string, string> = {}): Promise<WebSocketClient> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13', ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      reject(new Error(`handshake refused with ${res.statusCode}`));
    });
    req.on('upgrade', (res: http.IncomingMessage, socket: Socket, head: Buffer) => {
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      const reader = new FrameReader();
      const inbox: string[] = [];
      const waiting: ((s: string) => void)[] = [];
      let closed: () => void = () => {};
      const closedPromise = new Promise<void>((r) => (closed = r));
      const deliver = (chunk: Buffer) => {
        for (const f of reader.push(chunk)) {
          if (f.opcode !== 0x1) continue;
          const w = waiting.shift();
          if (w) w(f.payload.toString());
          else inbox.push(f.payload.toString());
        }
      };
      socket.on('data', deliver);
      socket.on('close', () => closed());
      socket.on('error', () => {});
      if (head.length > 0) deliver(head);
      resolve({
        socket,
        send: (text) => socket.write(encodeFrame(0x1, Buffer.from(text), true)),
        next: () => {
          const m = inbox.shift();
          return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiting.push(r));
        },
        close: async () => {
          socket.write(encodeFrame(0x8, Buffer.alloc(0), true));
          await closedPromise;
        },
      });
    });
    req.end();
  });
}
