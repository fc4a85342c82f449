import { parseCommandLine } from '../../../cli/args.js';

const NOW = Date.parse('2026-11-21T10:00:00Z');
const parse = (...argv: string[]) => parseCommandLine(argv, NOW);

describe('parseCommandLine', () => {
  it('parses get with its flags, before or after the command', () => {
    expect(parse('get')).toEqual({ ok: true, globals: { kubeconfig: undefined, context: undefined, namespace: undefined }, command: { name: 'get', output: 'table', allNamespaces: false } });
    expect(parse('-n', 'shop', 'get', '-o', 'yaml', 'podinfo')).toMatchObject({
      ok: true,
      globals: { namespace: 'shop' },
      command: { name: 'get', canary: 'podinfo', output: 'yaml' },
    });
    expect(parse('get', '-A', '--kubeconfig=/tmp/kc', '--context', 'prod')).toMatchObject({
      ok: true,
      globals: { kubeconfig: '/tmp/kc', context: 'prod' },
      command: { allNamespaces: true },
    });
  });

  it('accepts canary/NAME as kubectl users write it', () => {
    expect(parse('status', 'canary/podinfo')).toMatchObject({ ok: true, command: { name: 'status', canary: 'podinfo' } });
    expect(parse('status', 'deployment/podinfo')).toMatchObject({ ok: false, error: expect.stringMatching(/not a canary/) });
  });

  it('parses status --watch --exit-on-done and --events', () => {
    expect(parse('status', 'podinfo', '-w', '--exit-on-done', '--events', '3')).toMatchObject({
      ok: true,
      command: { name: 'status', canary: 'podinfo', watch: true, exitOnDone: true, events: 3 },
    });
    expect(parse('status', 'podinfo', '--exit-on-done')).toMatchObject({ ok: false, error: '--exit-on-done goes with --watch' });
    expect(parse('status', 'podinfo', '--events', 'many')).toMatchObject({ ok: false });
  });

  it.each(['promote', 'abort', 'retry', 'pause', 'resume'])('parses %s with a 30 s default wait', (action) => {
    expect(parse(action, 'podinfo')).toMatchObject({ ok: true, command: { name: 'action', action, canary: 'podinfo', wait: true, timeoutMs: 30_000 } });
    expect(parse(action, 'podinfo', '--no-wait')).toMatchObject({ ok: true, command: { wait: false } });
    expect(parse(action, 'podinfo', '--timeout', '1m30s')).toMatchObject({ ok: true, command: { timeoutMs: 90_000 } });
  });

  it('parses wait', () => {
    expect(parse('wait', 'podinfo', '--for=succeeded')).toMatchObject({ ok: true, command: { name: 'wait', for: 'succeeded', timeoutMs: 300_000 } });
    expect(parse('wait', 'podinfo', '--for', 'failed', '--timeout', '10s')).toMatchObject({ ok: true, command: { for: 'failed', timeoutMs: 10_000 } });
    expect(parse('wait', 'podinfo', '--for=promoted', '--timeout=0')).toMatchObject({ ok: true, command: { timeoutMs: 0 } });
  });

  it('reads --since as a time or as a duration ago', () => {
    expect(parse('wait', 'p', '--for=succeeded', '--since=2026-11-21T09:00:00Z')).toMatchObject({ command: { since: NOW - 3_600_000 } });
    expect(parse('wait', 'p', '--for=succeeded', '--since', '5m')).toMatchObject({ command: { since: NOW - 300_000 } });
    expect(parse('wait', 'p', '--for=succeeded', '--since', 'yesterday')).toMatchObject({ ok: false, error: expect.stringMatching(/invalid --since/) });
  });

  it('parses check with files and stdin', () => {
    expect(parse('check', 'a.yaml', '-', 'dir')).toMatchObject({ ok: true, command: { name: 'check', files: ['a.yaml', '-', 'dir'], listServerRules: false } });
    expect(parse('check', '--list-server-rules')).toMatchObject({ ok: true, command: { files: [], listServerRules: true } });
  });

  it('parses help in every spelling', () => {
    expect(parse('--help')).toMatchObject({ ok: true, command: { name: 'help' } });
    expect(parse('help', 'wait')).toMatchObject({ ok: true, command: { name: 'help', topic: 'wait' } });
    expect(parse('wait', '-h')).toMatchObject({ ok: true, command: { name: 'help', topic: 'wait' } });
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [[], /no command given/],
    [['get', '--bogus'], /unknown flag '--bogus'/],
    [['get', '--for=succeeded'], /get does not take --for/],
    [['get', '-o', 'xml'], /unknown output format "xml"/],
    [['get', '-A', 'podinfo'], /needs a namespace/],
    [['status'], /status needs the name of a canary/],
    [['status', 'a', 'b'], /takes one canary name/],
    [['promote', 'p', '--timeout', 'soon'], /invalid --timeout "soon"/],
    [['wait', 'p'], /wait needs --for=succeeded\|failed\|promoted/],
    [['wait', 'p', '--for=ready'], /unknown --for "ready"/],
    [['check'], /at least one FILE/],
    [['promote', 'p', '-A'], /promote does not take -A/],
  ])('rejects %j', (argv, error) => {
    const result = parse(...argv);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(error);
  });
});
