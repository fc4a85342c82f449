// Discord webhooks with native embeds (not the Slack-compatible /slack endpoint): a coloured
// embed with the facts as inline fields. Mentions are disabled, so a message that happens to
// contain "@everyone" (a metric name, an image tag) never pings a whole server.
import { DEFAULT_USERNAME, SEVERITY_COLORS, notificationFacts, notificationTitle, truncate } from './chat-format.js';
import type { Notification } from './notification.js';
import { JSON_HEADERS, type Notifier } from './notifier.js';
import type { ResolvedProvider } from './provider-resolution.js';

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline: boolean;
}

export interface DiscordEmbed {
  title: string;
  description: string;
  /** RGB as an integer. */
  color: number;
  fields: DiscordEmbedField[];
  timestamp: string;
  footer: { text: string };
}

export interface DiscordPayload {
  username: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: string[] };
}

// Discord's limits: title 256, description 4096, field value 1024, 25 fields, 6000 characters
// for the whole embed. These caps keep the sum under 6000 with the ten facts we have.
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 3000;
const MAX_FIELD = 200;
const MAX_FIELDS = 25;

export function discordColor(hex: string): number {
  return Number.parseInt(hex.replace(/^#/, ''), 16);
}

export function discordPayload(n: Notification, provider: Pick<ResolvedProvider, 'username'>): DiscordPayload {
  return {
    username: provider.username ?? DEFAULT_USERNAME,
    embeds: [
      {
        title: truncate(notificationTitle(n), MAX_TITLE),
        description: truncate(n.message, MAX_DESCRIPTION),
        color: discordColor(SEVERITY_COLORS[n.severity]),
        fields: notificationFacts(n)
          .slice(0, MAX_FIELDS)
          .map((fact) => ({ name: fact.name, value: truncate(fact.value, MAX_FIELD), inline: true })),
        timestamp: n.time,
        footer: { text: 'Sluice' },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

export const discordNotifier: Notifier = {
  type: 'discord',
  render: (n, provider) => ({ url: provider.url, headers: { ...JSON_HEADERS }, body: JSON.stringify(discordPayload(n, provider)) }),
};
