// Text shared by the chat providers (Slack, Teams, Discord): the title, the facts shown as
// fields, number and threshold formatting, severity colours. Pure.
import type { AlertSeverity, ThresholdRange } from '../../crds/index.js';
import type { Notification } from './notification.js';

export interface Fact {
  name: string;
  value: string;
}

/** Chat services cap field and message lengths; a cut says so instead of failing the post. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Up to four decimals, without trailing zeros: 99.5, 0.1234, 1200. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toFixed(4)));
}

export function describeThreshold(range: ThresholdRange): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `${formatNumber(min)} to ${formatNumber(max)}`;
  if (min !== undefined) return `at least ${formatNumber(min)}`;
  if (max !== undefined) return `at most ${formatNumber(max)}`;
  return 'any';
}

/** Space-separates a CamelCase reason for people: "RolledBack" → "Rolled back". */
export function humanReason(reason: string): string {
  const words = reason.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(' ');
  return words.map((word, i) => (i === 0 ? word : word.toLowerCase())).join(' ');
}

/** "Rolled back podinfo.test" */
export function notificationTitle(n: Notification): string {
  return `${humanReason(n.reason)} ${n.name}.${n.namespace}`;
}

/** The facts worth a field, in reading order; unknown facts are left out. */
export function notificationFacts(n: Notification): Fact[] {
  const facts: Fact[] = [{ name: 'Target', value: `${n.target}.${n.namespace}` }];
  if (n.phase) facts.push({ name: 'Phase', value: n.phase });
  if (n.revision) facts.push({ name: 'Revision', value: n.revision });
  if (n.image) facts.push({ name: 'Image', value: n.image });
  if (n.weight !== undefined) facts.push({ name: 'Canary weight', value: `${formatNumber(n.weight)}%` });
  if (n.metric) facts.push({ name: 'Metric', value: n.metric });
  if (n.value !== undefined) facts.push({ name: 'Value', value: formatNumber(n.value) });
  if (n.primaryValue !== undefined) facts.push({ name: 'Primary value', value: formatNumber(n.primaryValue) });
  if (n.threshold) facts.push({ name: 'Threshold', value: describeThreshold(n.threshold) });
  return facts;
}

/** Slack's own good / warning / danger colours, reused by Discord as integers. */
export const SEVERITY_COLORS: Readonly<Record<AlertSeverity, string>> = {
  info: '#2EB886',
  warn: '#DAA038',
  error: '#A30200',
};

export const DEFAULT_USERNAME = 'Sluice';
