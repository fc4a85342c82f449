// The informers the CLI watches with log through pino. A CLI's user wants a sentence on
// stderr, not JSON: warnings (a watch that failed and is being retried) become
// "warning: ..." lines; anything quieter is dropped.
import { pino, type Logger } from 'pino';

/** One pino JSON record as a line for people. */
export function formatLogRecord(json: string): string {
  let record: { msg?: unknown; err?: unknown; level?: unknown };
  try {
    record = JSON.parse(json) as typeof record;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const label = typeof record.level === 'number' && record.level >= 50 ? 'error' : 'warning';
  // node-fetch wraps the reason in the whole watch URL, which tells a user nothing.
  const reason = record.err === undefined ? '' : (typeof record.err === 'string' ? record.err : JSON.stringify(record.err)).replace(/^request to \S+ failed, reason: /, '');
  const message = record.msg === 'list/watch failed; retrying' ? 'the watch was interrupted; reconnecting' : String(record.msg ?? '');
  return `${label}: ${message}${reason === '' ? '' : ` (${reason})`}\n`;
}

export function cliLogger(write: (line: string) => void): Logger {
  return pino({ level: 'warn', base: undefined, timestamp: false }, { write: (json: string) => write(formatLogRecord(json)) });
}
