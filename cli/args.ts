// Command-line parsing: argv in, a typed command or a usage error out. Pure (the clock is a
// parameter, for --since with a duration), so every flag combination is unit-tested.
import { parseArgs } from 'node:util';
import { isManualAction, type ManualActionName, parseDuration } from '../crds/index.js';
import { isWaitTarget, WAIT_TARGETS, type WaitTarget } from './wait-decision.js';

export interface Globals {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Command =
  | { name: 'help'; topic?: string }
  | { name: 'get'; canary?: string; output: OutputFormat; allNamespaces: boolean }
  | { name: 'status'; canary: string; watch: boolean; exitOnDone: boolean; events: number }
  | { name: 'action'; action: ManualActionName; canary: string; wait: boolean; timeoutMs: number }
  | { name: 'wait'; canary: string; for: WaitTarget; timeoutMs: number; since?: number }
  | { name: 'check'; files: string[]; listServerRules: boolean };

export type ParsedArgs = { ok: true; globals: Globals; command: Command } | { ok: false; error: string; topic?: string };

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  watch: { type: 'boolean', short: 'w' },
  'exit-on-done': { type: 'boolean' },
  events: { type: 'string' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  for: { type: 'string' },
  since: { type: 'string' },
  'list-server-rules': { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['kubeconfig', 'context', 'namespace', 'help'];
const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = {
  get: ['all-namespaces', 'output'],
  status: ['watch', 'exit-on-done', 'events'],
  action: ['no-wait', 'timeout'],
  wait: ['for', 'timeout', 'since'],
  check: ['list-server-rules'],
  help: [],
};

const COMMANDS = ['get', 'status', 'wait', 'check', 'help', 'promote', 'abort', 'retry', 'pause', 'resume'];

class UsageError extends Error {}

function timeoutMs(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`invalid --timeout ${JSON.stringify(text)}: want a duration such as 30s, 5m or 1h30m`);
  }
}

function sinceMs(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at;
  } else {
    try {
      return now - parseDuration(text);
    } catch {
      // fall through to the error below
    }
  }
  throw new UsageError(`invalid --since ${JSON.stringify(text)}: want an RFC 3339 time (2026-11-21T10:00:00Z) or a duration (30s, 5m)`);
}

function oneName(command: string, positionals: readonly string[]): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs the name of a canary`);
  if (positionals.length > 1) throw new UsageError(`${command} takes one canary name, got ${positionals.length}: ${positionals.join(' ')}`);
  const name = positionals[0] ?? '';
  // "canary/podinfo" and "canaries/podinfo" as kubectl users type them.
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const resource = name.slice(0, slash);
    if (!['canary', 'canaries', 'cnry', 'canary.sluice.dev', 'canaries.sluice.dev'].includes(resource)) {
      throw new UsageError(`${JSON.stringify(name)} is not a canary: give NAME or canary/NAME`);
    }
    return name.slice(slash + 1);
  }
  return name;
}

/** The command and its arguments, or why the command line is wrong. */
export function parseCommandLine(argv: readonly string[], now: number): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    // Not `instanceof Error`: node's errors may come from another realm (a vm context in tests).
    const text = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string' ? (err as Error).message : String(err);
    const message = text.split('. ')[0] ?? text;
    return { ok: false, error: message.replace(/^Unknown option/, 'unknown flag') };
  }
  const { values, positionals, tokens } = parsed;
  const [commandWord, ...rest] = positionals;
  const globals: Globals = { kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace };
  if (commandWord === undefined) {
    return values.help === true ? { ok: true, globals, command: { name: 'help' } } : { ok: false, error: 'no command given' };
  }
  if (!COMMANDS.includes(commandWord)) return { ok: false, error: `unknown command ${JSON.stringify(commandWord)}` };
  const topic = commandWord;
  if (commandWord === 'help') return { ok: true, globals, command: { name: 'help', topic: rest[0] } };
  if (values.help === true) return { ok: true, globals, command: { name: 'help', topic } };
  const group = isManualAction(commandWord) ? 'action' : commandWord;
  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...(COMMAND_OPTIONS[group] ?? [])]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) {
      return { ok: false, error: `${commandWord} does not take ${token.rawName}`, topic };
    }
  }
  try {
    return { ok: true, globals, command: buildCommand(commandWord, rest, values, now) };
  } catch (err) {
    if (err instanceof UsageError) return { ok: false, error: err.message, topic };
    throw err;
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function buildCommand(word: string, rest: readonly string[], values: Values, now: number): Command {
  if (isManualAction(word)) {
    return { name: 'action', action: word, canary: oneName(word, rest), wait: values['no-wait'] !== true, timeoutMs: timeoutMs(values.timeout, 30_000) };
  }
  switch (word) {
    case 'get': {
      if (rest.length > 1) throw new UsageError(`get takes at most one canary name, got ${rest.length}`);
      const output = values.output ?? 'table';
      if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
        throw new UsageError(`unknown output format ${JSON.stringify(output)}: want one of ${OUTPUT_FORMATS.join(', ')}`);
      }
      const allNamespaces = values['all-namespaces'] === true;
      if (allNamespaces && rest.length === 1) throw new UsageError('get NAME needs a namespace, not --all-namespaces');
      return {
        name: 'get',
        ...(rest.length === 1 ? { canary: oneName('get', rest) } : {}),
        output: output as OutputFormat,
        allNamespaces,
      };
    }
    case 'status': {
      const events = values.events === undefined ? 10 : Number(values.events);
      if (!Number.isInteger(events) || events < 0) throw new UsageError(`invalid --events ${JSON.stringify(values.events)}: want a whole number`);
      if (values['exit-on-done'] === true && values.watch !== true) throw new UsageError('--exit-on-done goes with --watch');
      return { name: 'status', canary: oneName('status', rest), watch: values.watch === true, exitOnDone: values['exit-on-done'] === true, events };
    }
    case 'wait': {
      const target = values.for;
      if (target === undefined) throw new UsageError(`wait needs --for=${WAIT_TARGETS.join('|')}`);
      if (!isWaitTarget(target)) throw new UsageError(`unknown --for ${JSON.stringify(target)}: want one of ${WAIT_TARGETS.join(', ')}`);
      const since = sinceMs(values.since, now);
      return { name: 'wait', canary: oneName('wait', rest), for: target, timeoutMs: timeoutMs(values.timeout, 5 * 60_000), ...(since === undefined ? {} : { since }) };
    }
    case 'check': {
      const listServerRules = values['list-server-rules'] === true;
      if (rest.length === 0 && !listServerRules) throw new UsageError('check needs at least one FILE (or - for stdin)');
      return { name: 'check', files: [...rest], listServerRules };
    }
  }
  throw new UsageError(`unknown command ${JSON.stringify(word)}`);
}
