// The informers the CLI watches with log through pino. A CLI's user wants a sentence on
// stderr, not JSON: warnings (a watch that failed and is being retried) become
// "warning: ..." lines; anything quieter is dropped.
import { pino, type Logger } from 'pino';

export function cliLogger(write: (line: string) => void): Logger {
  return pino(
    { level: 'warn', base: undefined, timestamp: false },
    {
      write(json: string): void {
        try {
          const record = JSON.parse(json) as { msg?: unknown; err?: unknown; level?: unknown };
          const detail = record.err === undefined ? '' : `: ${typeof record.err === 'string' ? record.err : JSON.stringify(record.err)}`;
          const label = typeof record.level === 'number' && record.level >= 50 ? 'error' : 'warning';
          write(`${label}: ${String(record.msg ?? '')}${detail}\n`);
        } catch {
          write(json);
        }
      },
    },
  );
}
