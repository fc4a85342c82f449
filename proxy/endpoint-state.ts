// Mutable runtime state of one endpoint of one backend on one listener. It outlives
// snapshots: an endpoint that appears in the next snapshot keeps its in-flight count and
// its ejection history, so a config push never resets circuit breaking.

export interface EndpointState {
  /** `address:port` (IPv6 in brackets). */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** Requests in flight to this endpoint (least-request balancing). */
  active: number;
  /** Failures since the last success (outlier detection). */
  consecutiveFailures: number;
  /** Ejections so far; each one lasts longer. */
  ejectionCount: number;
  /** Epoch ms until which the endpoint is ejected; 0 when it is not. */
  ejectedUntil: number;
  /** Epoch ms of the last ejection (meaningful once ejectionCount > 0). */
  lastEjectedAt: number;
}

export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export function newEndpointState(address: string, port: number): EndpointState {
  return { key: endpointKey(address, port), address, port, active: 0, consecutiveFailures: 0, ejectionCount: 0, ejectedUntil: 0, lastEjectedAt: 0 };
}
