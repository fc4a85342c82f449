// What the e2e scenarios share: the figures each one reports, and how they print them.
import type { LoadGenerator } from '../harness/load-generator.js';
import { describeFigures, rolloutFigures, type FigureOptions, type RolloutFigures } from '../harness/rollout-figures.js';
import type { RolloutEnv } from '../harness/rollout-env.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops the clients and computes the rollout's figures; prints them for the run's log. */
export async function figuresOf(env: RolloutEnv, load: LoadGenerator, since: number, scenario: string, options: FigureOptions): Promise<RolloutFigures> {
  const samples = await load.stop();
  const figures = rolloutFigures(samples, env.statusSince(since), options);
  process.stdout.write(`[e2e] ${scenario}: ${describeFigures(figures)}\n`);
  const meshFailures = samples.filter((s) => s.status !== 200 && !(s.status === 500 && s.version));
  if (meshFailures.length > 0) {
    // When the mesh failed a client, and what the rollout was doing then.
    const at = (t: number): string => `+${((t - since) / 1000).toFixed(2)} s`;
    const lines = meshFailures.slice(0, 10).map((s) => `  ${at(s.sentAt)} ${s.status} ${s.reply ?? s.error ?? ''} after ${s.ms.toFixed(0)} ms`);
    const statuses = env.statusSince(since).map((o) => `  ${at(o.at)} ${o.phase} ${o.canaryWeight}% ${o.message ?? ''}`);
    process.stdout.write(`[e2e] ${scenario}: mesh failures:\n${lines.join('\n')}\nstatus:\n${statuses.join('\n')}\n`);
  }
  return figures;
}

/** Versions that answered requests sent after `from` (epoch ms). */
export function versionsAfter(load: LoadGenerator, from: number): string[] {
  return [...new Set(load.samples.filter((s) => s.sentAt >= from && s.version).map((s) => s.version as string))].sort();
}

/** Event names (the generic webhook's `event`) the events receiver got since `since`. */
export function eventsSince(env: RolloutEnv, since: number): string[] {
  return (env.webhook?.to('/events') ?? []).filter((r) => r.at >= since).map((r) => (JSON.parse(r.body) as { event: string }).event);
}

/** Texts of the Slack messages received since `since`. */
export function slackSince(env: RolloutEnv, since: number): string[] {
  return (env.slack?.requests ?? []).filter((r) => r.at >= since).map((r) => (JSON.parse(r.body) as { text: string }).text);
}
