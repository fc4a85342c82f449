// What commands read and write, passed in rather than reached for, so that main.ts is the
// only place that knows about `process`.

export interface Output {
  write(text: string): unknown;
  /** True when a person is looking at it: redraw and colour; false: plain lines. */
  readonly isTTY?: boolean;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  /** For `check -`. */
  readStdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  now(): number;
  /** Calls `handler` on Ctrl-C (SIGINT) or SIGTERM; returns the unsubscribe function. */
  onInterrupt(handler: () => void): () => void;
}

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    async readStdin(): Promise<string> {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    now: () => Date.now(),
    onInterrupt(handler: () => void): () => void {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}
