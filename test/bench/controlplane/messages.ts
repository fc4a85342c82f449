// Messages between the benchmark's orchestrator and its child processes (Node IPC).

export type ServerCommand =
  | { cmd: 'publish'; namespace: string; version: string; expectProxies: number; timeoutMs: number }
  | { cmd: 'connected'; namespace: string }
  | { cmd: 'usage' };

export type ServerReply =
  | { reply: 'ready'; port: number }
  | { reply: 'published'; version: string; ms: number; applied: number; connected: number }
  | { reply: 'failed'; version: string; error: string }
  | { reply: 'connected'; count: number; appliedCurrent: number }
  | { reply: 'usage'; cpuMicros: number; rssBytes: number; at: number; pushes: number; pushSeconds: number };

export type ClientReply = { reply: 'started'; count: number };
