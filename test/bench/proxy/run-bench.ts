// `npm run bench:proxy`: throughput and latency of the Sluice proxy on loopback, against the
// backend directly and against nginx doing the same 90/10 split. One run, bounded in time
// (about 3 minutes), every process started here is stopped here.
//
// Layout (2 CPUs expected): the proxy under test (Sluice or nginx, one at a time under load)
// is pinned to CPU 0; wrk, the constant-rate generator and the backends to CPU 1.
// Backends: nginx, one worker, answering a 1 KiB body from memory on two ports (primary,
// canary): the cheapest server available, so that the baseline measures the loopback and
// the client rather than a slow backend. A bare http-proxy forwarder (bare-http-proxy.ts) is
// measured too: the floor for any design built on http-proxy, on this machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../../..');
const PROXY_MAIN = join(root, 'dist/proxy/main.js');
const CONSTANT_RATE = join(here, 'constant-rate.js');
const BARE_HTTP_PROXY = join(here, 'bare-http-proxy.js');
const WRK = '/usr/bin/wrk';
const NGINX = '/usr/sbin/nginx';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = 2;
const THROUGHPUT_ROUNDS = 3;
const THROUGHPUT_SECONDS = 6;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const FIXED_RATE = 1_000;
// Fixed-rate runs are short and interleaved across targets, and the median of the rounds is
// reported, so that a burst of other work on the machine does not land on one target only.
const RATE_ROUNDS = 5;
const RATE_SECONDS = 4;
const BODY = `${'x'.repeat(1023)}\n`;
const canPin = existsSync('/usr/bin/taskset') && cpus().length >= 2;

const children: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'sluice-bench-'));

function pinned(cpu: number, command: string, args: string[]): [string, string[]] {
  return canPin ? ['/usr/bin/taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

function start(name: string, cpu: number, command: string, args: string[]): ChildProcess {
  const [cmd, argv] = pinned(cpu, command, args);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`bench: ${name} exited early (code ${code}, signal ${signal}): ${stderr}\n`);
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stopAll(): Promise<void> {
  stopping = true;
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of running) c.kill('SIGTERM');
  await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 5_000))]);
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(2_000, () => req.destroy(new Error('timeout')));
  });
}

async function waitHttp(port: number, path = '/'): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await get(port, path)).status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`nothing answers 200 on port ${port}${path}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function nginxConf(name: string, httpBlock: string): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const dir = join(work, name);
  spawnSync('mkdir', ['-p', dir]);
  const path = join(dir, 'nginx.conf');
  writeFileSync(
    path,
    `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
${httpBlock}
}
`,
  );
  return path;
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  errors: number;
  /** CPU seconds per wall second used by the proxy under test, if any. */
  proxyCpu?: number;
  peakRssMb?: number;
}

const WRK_SCRIPT = join(work, 'report.lua');
writeFileSync(
  WRK_SCRIPT,
  `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
`,
);

function procStat(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+) kB/.exec(status);
  return { cpuTicks: Number(fields[11]) + Number(fields[12]), rssKb: rss ? Number(rss[1]) : 0 };
}

/** Children of nginx's master are its workers: the process doing the proxying. */
function nginxWorker(masterPid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === masterPid) return Number(entry);
    } catch {
      // the process went away while we looked
    }
  }
  throw new Error(`no worker found for nginx master ${masterPid}`);
}

async function wrk(port: number, seconds: number, watchPid?: number): Promise<WrkResult> {
  const [cmd, argv] = pinned(1, WRK, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '-s', WRK_SCRIPT, `http://127.0.0.1:${port}/`]);
  const before = watchPid !== undefined ? procStat(watchPid) : undefined;
  const startedAt = Date.now();
  let peakRssKb = 0;
  const sampler = watchPid !== undefined ? setInterval(() => (peakRssKb = Math.max(peakRssKb, procStat(watchPid).rssKb)), 200) : undefined;
  const out = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolvePromise(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  clearInterval(sampler);
  const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out);
  if (!m) throw new Error(`cannot parse wrk output:\n${out}`);
  const [, requests, durationUs, errors, p50, p99, p999] = m.map(Number) as number[];
  const result: WrkResult = {
    rps: (requests as number) / ((durationUs as number) / 1e6),
    p50: (p50 as number) / 1000,
    p99: (p99 as number) / 1000,
    p999: (p999 as number) / 1000,
    errors: errors as number,
  };
  if (watchPid !== undefined && before !== undefined) {
    const after = procStat(watchPid);
    const ticksPerSecond = 100;
    result.proxyCpu = (after.cpuTicks - before.cpuTicks) / ticksPerSecond / ((Date.now() - startedAt) / 1000);
    result.peakRssMb = peakRssKb / 1024;
  }
  return result;
}

interface RateResult {
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

async function fixedRate(port: number): Promise<RateResult> {
  const [cmd, argv] = pinned(1, process.execPath, [CONSTANT_RATE, `http://127.0.0.1:${port}/`, String(FIXED_RATE), String(RATE_SECONDS)]);
  const out = await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolvePromise(text) : reject(new Error(`constant-rate exited ${code}`))));
  });
  return JSON.parse(out.trim()) as RateResult;
}

/** The round with the median throughput per CPU (its other figures kept together); errors summed. */
function medianWrk(results: WrkResult[]): WrkResult {
  const perCpu = (r: WrkResult) => (r.proxyCpu ? r.rps / r.proxyCpu : r.rps);
  const sorted = [...results].sort((a, b) => perCpu(a) - perCpu(b));
  const median = sorted[Math.floor(sorted.length / 2)] as WrkResult;
  return {
    ...median,
    errors: results.reduce((a, r) => a + r.errors, 0),
    peakRssMb: Math.max(...results.map((r) => r.peakRssMb ?? 0)),
  };
}

/** Per-field median of several runs (errors and counts summed). */
function medianOf(results: RateResult[]): RateResult {
  const med = (pick: (r: RateResult) => number) => {
    const sorted = results.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  };
  const sum = (pick: (r: RateResult) => number) => results.reduce((a, r) => a + pick(r), 0);
  return {
    sent: sum((r) => r.sent),
    ok: sum((r) => r.ok),
    errors: sum((r) => r.errors),
    p50: med((r) => r.p50),
    p90: med((r) => r.p90),
    p99: med((r) => r.p99),
    p999: med((r) => r.p999),
    max: Math.max(...results.map((r) => r.max)),
  };
}

function f(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

async function main(): Promise<void> {
  for (const [what, path] of [
    ['wrk', WRK],
    ['nginx', NGINX],
    ['the built proxy (npm run build)', PROXY_MAIN],
    ['the built load generator (npm run build)', CONSTANT_RATE],
    ['the built bare http-proxy (npm run build)', BARE_HTTP_PROXY],
  ] as const) {
    if (!existsSync(path)) throw new Error(`missing ${what}: ${path}`);
  }
  const load = loadavg();
  const [primaryPort, canaryPort, sluicePort, adminPort, nginxPort, barePort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);

  const backendConf = nginxConf(
    'backends',
    `  default_type text/plain;
  server { listen 127.0.0.1:${primaryPort} backlog=4096; location / { return 200 "${BODY.slice(0, -1)}\\n"; } }
  server { listen 127.0.0.1:${canaryPort} backlog=4096; location / { return 200 "${BODY.slice(0, -1)}\\n"; } }`,
  );
  start('backend nginx', 1, NGINX, ['-c', backendConf, '-g', 'daemon off;']);
  await waitHttp(primaryPort);
  await waitHttp(canaryPort);

  const sluiceConf = join(work, 'sluice.yaml');
  writeFileSync(
    sluiceConf,
    JSON.stringify({
      version: 'bench',
      listeners: [
        {
          name: 'bench',
          port: sluicePort,
          rules: [
            {
              name: 'split',
              backends: [
                { name: 'bench-primary', weight: 90 },
                { name: 'bench-canary', weight: 10 },
              ],
            },
          ],
        },
      ],
      backends: {
        'bench-primary': { endpoints: [{ address: '127.0.0.1', port: primaryPort, ready: true }] },
        'bench-canary': { endpoints: [{ address: '127.0.0.1', port: canaryPort, ready: true }] },
      },
    }),
  );
  const sluice = start('sluice proxy', 0, process.execPath, [PROXY_MAIN, '--config-file', sluiceConf, '--admin-port', String(adminPort), '--bind-address', '127.0.0.1', '--log-level', 'warn']);
  await waitHttp(adminPort, '/readyz');
  await waitHttp(sluicePort);

  const proxyConf = nginxConf(
    'proxy',
    `  upstream bench_primary { server 127.0.0.1:${primaryPort}; keepalive 256; }
  upstream bench_canary { server 127.0.0.1:${canaryPort}; keepalive 256; }
  split_clients "\${request_id}" $bench_backend { 90% bench_primary; * bench_canary; }
  server {
    listen 127.0.0.1:${nginxPort} backlog=4096;
    location / { proxy_pass http://$bench_backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
  );
  const nginxProxy = start('nginx proxy', 0, NGINX, ['-c', proxyConf, '-g', 'daemon off;']);
  await waitHttp(nginxPort);
  const bare = start('bare http-proxy', 0, process.execPath, [BARE_HTTP_PROXY, String(barePort), String(primaryPort), String(canaryPort)]);
  await waitHttp(barePort);
  for (const port of [primaryPort, sluicePort, nginxPort, barePort]) {
    const r = await get(port);
    if (r.body.length !== 1024) throw new Error(`port ${port} answered ${r.body.length} bytes, expected 1024`);
  }
  const sluicePid = sluice.pid as number;
  const nginxWorkerPid = nginxWorker(nginxProxy.pid as number);

  process.stdout.write(
    `Sluice proxy benchmark — loopback, 1 KiB responses, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load.map((l) => l.toFixed(2)).join(' ')}\n` +
      `proxies pinned to CPU 0${canPin ? '' : ' (NOT pinned: taskset or a 2nd CPU missing)'}; wrk, generator and backends to CPU 1\n` +
      `backends: nginx (1 worker) answering 1 KiB from memory; Sluice: sluice-proxy executable, 90/10 split, metrics on\n` +
      `throughput: wrk -t1 -c${CONNECTIONS}; direct ${DURATION_S} s; proxies: median (by req/s per CPU) of ${THROUGHPUT_ROUNDS} interleaved ${THROUGHPUT_SECONDS} s rounds after ${WARMUP_S} s warm-up\n\n`,
  );

  // Proxies are measured in interleaved rounds (median per figure) so that a burst of other
  // work on the machine hits all of them rather than one.
  const throughput: Record<string, WrkResult> = {};
  await wrk(primaryPort, WARMUP_S);
  throughput.direct = await wrk(primaryPort, DURATION_S);
  const proxyRounds: Record<string, WrkResult[]> = { sluice: [], nginx: [], 'bare-hp': [] };
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const [name, port, pid] of [
      ['sluice', sluicePort, sluicePid],
      ['nginx', nginxPort, nginxWorkerPid],
      ['bare-hp', barePort, bare.pid as number],
    ] as const) {
      if (round === 0) await wrk(port, WARMUP_S, pid);
      proxyRounds[name]?.push(await wrk(port, THROUGHPUT_SECONDS, pid));
    }
  }
  for (const [name, results] of Object.entries(proxyRounds)) throughput[name] = medianWrk(results);
  const rounds: Record<string, RateResult[]> = { direct: [], sluice: [], nginx: [], 'bare-hp': [] };
  for (let round = 0; round < RATE_ROUNDS; round++) {
    for (const [name, port] of [
      ['direct', primaryPort],
      ['sluice', sluicePort],
      ['nginx', nginxPort],
      ['bare-hp', barePort],
    ] as const) {
      rounds[name]?.push(await fixedRate(port));
    }
  }
  const rate: Record<string, RateResult> = {};
  for (const [name, results] of Object.entries(rounds)) rate[name] = medianOf(results);
  const metrics = (await get(adminPort, '/metrics')).body;
  const count = (backend: string) =>
    [...metrics.matchAll(new RegExp(`sluice_requests_total\\{route="bench/split",backend="${backend}",code="(\\d+)",mirrored="false"\\} (\\d+)`, 'g'))].reduce(
      (sum, m) => sum + Number(m[2]),
      0,
    );
  const canaryShare = (100 * count('bench-canary')) / (count('bench-canary') + count('bench-primary'));

  const rows = (['direct', 'sluice', 'nginx', 'bare-hp'] as const).map((name) => {
    const t = throughput[name] as WrkResult;
    return `${name.padEnd(8)} ${f(t.rps, 0).padStart(9)} ${f(t.p50).padStart(8)} ${f(t.p99).padStart(8)} ${f(t.p999).padStart(9)} ${String(t.errors).padStart(7)} ${f(t.proxyCpu).padStart(10)} ${(t.proxyCpu ? f(t.rps / t.proxyCpu, 0) : '-').padStart(12)} ${f(t.peakRssMb, 1).padStart(8)}`;
  });
  const s = throughput.sluice as WrkResult;
  const d = throughput.direct as WrkResult;
  const n = throughput.nginx as WrkResult;
  const b = throughput['bare-hp'] as WrkResult;
  const rs = rate.sluice as RateResult;
  const rd = rate.direct as RateResult;
  const rn = rate.nginx as RateResult;
  const addedP50 = rs.p50 - rd.p50;
  const addedP99 = rs.p99 - rd.p99;
  const perCore = s.proxyCpu ? s.rps / Math.min(1, s.proxyCpu) : s.rps;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  process.stdout.write(
    `throughput    req/s   p50 ms   p99 ms  p99.9 ms  errors  proxy CPU  req/s per CPU   RSS MB\n${rows.join('\n')}\n` +
      `ratios: sluice/direct ${f(s.rps / d.rps)}   sluice/nginx ${f(s.rps / n.rps)}   (per proxy CPU-second: sluice/nginx ${s.proxyCpu && n.proxyCpu ? f(s.rps / s.proxyCpu / (n.rps / n.proxyCpu)) : '-'})\n` +
      `floor of an http-proxy design on this machine (bare-hp: same split, no rules, metrics or timeouts): ${f(b.proxyCpu ? b.rps / b.proxyCpu : b.rps, 0)} req/s per CPU; Sluice reaches ${b.proxyCpu && s.proxyCpu ? f((100 * (s.rps / s.proxyCpu)) / (b.rps / b.proxyCpu), 0) : '-'}% of it\n` +
      `Sluice split under load: ${f(canaryShare)}% canary (configured 10%)\n\n` +
      `fixed ${FIXED_RATE} req/s, median of ${RATE_ROUNDS} interleaved ${RATE_SECONDS} s runs\n` +
      `                             p50 ms   p90 ms   p99 ms  p99.9 ms   max ms  errors\n` +
      (['direct', 'sluice', 'nginx', 'bare-hp'] as const)
        .map((name) => {
          const r = rate[name] as RateResult;
          return `${name.padEnd(28)} ${f(r.p50, 3).padStart(8)} ${f(r.p90, 3).padStart(8)} ${f(r.p99, 3).padStart(8)} ${f(r.p999, 3).padStart(9)} ${f(r.max, 1).padStart(8)} ${String(r.errors).padStart(7)}`;
        })
        .join('\n') +
      `\nadded by Sluice: p50 ${f(addedP50, 3)} ms, p99 ${f(addedP99, 3)} ms   (nginx adds p50 ${f(rn.p50 - rd.p50, 3)} ms, p99 ${f(rn.p99 - rd.p99, 3)} ms)\n\n` +
      `targets\n` +
      `  >= 10,000 req/s on one core: ${f(s.rps, 0)} req/s using ${f(s.proxyCpu)} CPU (${f(perCore, 0)} per full core) — ${verdict(perCore >= 10_000)}\n` +
      `  added p50 <= 0.3 ms at 1,000 req/s: ${f(addedP50, 3)} ms — ${verdict(addedP50 <= 0.3)}\n` +
      `  added p99 <= 2 ms at 1,000 req/s: ${f(addedP99, 3)} ms — ${verdict(addedP99 <= 2)}\n` +
      `  RSS <= 128 MB under load: peak ${f(s.peakRssMb, 1)} MB — ${verdict((s.peakRssMb ?? Infinity) <= 128)}\n`,
  );
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ load, throughput, rate, canaryShare }, null, 2));
}

async function cleanUp(): Promise<void> {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  void cleanUp().finally(() => process.exit(130));
});

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanUp());
