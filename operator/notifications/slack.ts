// Slack incoming webhooks: one legacy attachment, because only attachments carry the colour
// bar that tells a failure from a promotion at a glance, with the facts as short fields.
// `channel` and `username` are honoured by classic webhooks and ignored by app webhooks.
import { DEFAULT_USERNAME, SEVERITY_COLORS, notificationFacts, notificationTitle, truncate } from './chat-format.js';
import type { Notification } from './notification.js';
import { JSON_HEADERS, type Notifier } from './notifier.js';
import type { ResolvedProvider } from './provider-resolution.js';

export interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

export interface SlackAttachment {
  color: string;
  fallback: string;
  author_name: string;
  title: string;
  text: string;
  mrkdwn_in: string[];
  fields: SlackField[];
  footer: string;
  /** Unix seconds of the event. */
  ts: number;
}

export interface SlackPayload {
  channel?: string;
  username: string;
  icon_emoji: string;
  /** Shown in notifications and by clients that do not render attachments. */
  text: string;
  attachments: SlackAttachment[];
}

/** Slack reads &, < and > as control characters (links, mentions); everything else is literal. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Slack truncates long attachment text itself, but a message that size is a bug anyway.
const MAX_TEXT = 3000;
const MAX_FIELD = 500;

export function slackPayload(n: Notification, provider: Pick<ResolvedProvider, 'channel' | 'username'>): SlackPayload {
  const title = notificationTitle(n);
  const message = escapeSlack(truncate(n.message, MAX_TEXT));
  const payload: SlackPayload = {
    username: provider.username ?? DEFAULT_USERNAME,
    icon_emoji: n.severity === 'error' ? ':rotating_light:' : ':rocket:',
    text: escapeSlack(`${title}: ${truncate(n.message, MAX_TEXT)}`),
    attachments: [
      {
        color: SEVERITY_COLORS[n.severity],
        fallback: escapeSlack(`${title}: ${truncate(n.message, MAX_TEXT)}`),
        author_name: escapeSlack(`${n.name}.${n.namespace}`),
        title: escapeSlack(title),
        text: message,
        mrkdwn_in: ['text'],
        fields: notificationFacts(n).map((fact) => ({ title: fact.name, value: escapeSlack(truncate(fact.value, MAX_FIELD)), short: true })),
        footer: 'Sluice',
        ts: Math.floor(Date.parse(n.time) / 1000),
      },
    ],
  };
  if (provider.channel) payload.channel = provider.channel;
  return payload;
}

export const slackNotifier: Notifier = {
  type: 'slack',
  render: (n, provider) => ({ url: provider.url, headers: { ...JSON_HEADERS }, body: JSON.stringify(slackPayload(n, provider)) }),
};
