// Open-loop load at a fixed rate: requests are sent on schedule whatever the responses do,
// so a slow server shows up as latency instead of silently lowering the rate (the trap of
// closed-loop generators). Prints one JSON line of latency percentiles in milliseconds.
// Usage: node constant-rate.js <url> <requests-per-second> <seconds>
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, rateArg, secondsArg] = process.argv.slice(2);
if (url === undefined || rateArg === undefined || secondsArg === undefined) {
  process.stderr.write('usage: constant-rate <url> <requests-per-second> <seconds>\n');
  process.exit(2);
}
const target = new URL(url);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const total = Math.round(rate * seconds);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const latencies: number[] = [];
let sent = 0;
let done = 0;
let errors = 0;

function send(): void {
  sent++;
  const started = performance.now();
  const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) latencies.push(performance.now() - started);
      else errors++;
      finish();
    });
  });
  req.on('error', () => {
    errors++;
    finish();
  });
  req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  req.end();
}

function finish(): void {
  done++;
  if (done === total) report();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function report(): void {
  const sorted = latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  process.stdout.write(
    `${JSON.stringify({ sent, ok: sorted.length, errors, p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), p999: round(percentile(sorted, 99.9)), max: round(sorted[sorted.length - 1] ?? Number.NaN) })}\n`,
  );
  agent.destroy();
}

const start = performance.now();
// Every millisecond, send what the schedule says is due (timers are not precise enough to
// fire once per request at high rates).
const ticker = setInterval(() => {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
  while (sent < due) send();
  if (sent >= total) clearInterval(ticker);
}, 1);
// Bounded whatever happens: give up 15 s after the schedule ends.
setTimeout(() => {
  process.stderr.write(`constant-rate: ${total - done} requests unanswered, giving up\n`);
  report();
  process.exit(1);
}, (seconds + 15) * 1000).unref();
