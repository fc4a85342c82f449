// Answers the proxy gives itself (no route, no endpoint, upstream failure, timeout, fault):
// short plain-text bodies that say what happened, and a header that tells them apart from
// an upstream's own error pages.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export type LocalReplyReason =
  | 'no-route'
  | 'no-endpoint'
  | 'listener-removed'
  | 'upstream-failure'
  | 'upstream-timeout'
  | 'request-timeout'
  | 'fault'
  | 'bad-request'
  | 'internal-error';

export const LOCAL_REPLY_HEADER = 'x-sluice-reply';

export function sendLocalReply(res: ServerResponse, status: number, reason: LocalReplyReason, message: string, closeConnection = false): void {
  if (res.headersSent) {
    // Too late for a status: cut the response so the client cannot take it for complete.
    res.destroy();
    return;
  }
  const body = `sluice: ${message}\n`;
  const headers: Record<string, string | number> = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    [LOCAL_REPLY_HEADER]: reason,
  };
  if (closeConnection) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

/** The same for a connection that was handed over for an upgrade and has no ServerResponse. */
export function writeRawReply(socket: Duplex, status: number, reason: LocalReplyReason, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `sluice: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `${LOCAL_REPLY_HEADER}: ${reason}\r\nconnection: close\r\n\r\n${body}`,
  );
}
