// Microsoft Teams: an Adaptive Card in a "message" envelope. Both kinds of Teams webhook
// accept it (the Workflows "post to a channel when a webhook request is received" flow, and
// the older Office 365 connector URLs), whereas the legacy MessageCard only works with the
// connectors Microsoft is retiring.
import type { AlertSeverity } from '../../crds/index.js';
import { notificationFacts, notificationTitle, truncate } from './chat-format.js';
import type { Notification } from './notification.js';
import { JSON_HEADERS, type Notifier } from './notifier.js';

export interface AdaptiveTextBlock {
  type: 'TextBlock';
  text: string;
  wrap: boolean;
  weight?: 'Bolder';
  size?: 'Medium';
  color?: 'Good' | 'Warning' | 'Attention';
  isSubtle?: boolean;
  spacing?: 'None';
}

export interface AdaptiveFactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
}

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: string;
  body: (AdaptiveTextBlock | AdaptiveFactSet)[];
  msteams: { width: 'Full' };
}

export interface TeamsPayload {
  type: 'message';
  summary: string;
  attachments: { contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }[];
}

const TITLE_COLORS: Readonly<Record<AlertSeverity, AdaptiveTextBlock['color']>> = {
  info: 'Good',
  warn: 'Warning',
  error: 'Attention',
};

const MAX_TEXT = 3000;
const MAX_FACT = 500;

export function teamsPayload(n: Notification): TeamsPayload {
  const title = notificationTitle(n);
  return {
    type: 'message',
    summary: title,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          // 1.4 is what Teams renders on every client today.
          version: '1.4',
          body: [
            { type: 'TextBlock', text: title, wrap: true, weight: 'Bolder', size: 'Medium', color: TITLE_COLORS[n.severity] },
            { type: 'TextBlock', text: `${n.target}.${n.namespace} · ${n.time}`, wrap: true, isSubtle: true, spacing: 'None' },
            { type: 'TextBlock', text: truncate(n.message, MAX_TEXT), wrap: true },
            { type: 'FactSet', facts: notificationFacts(n).map((fact) => ({ title: fact.name, value: truncate(fact.value, MAX_FACT) })) },
          ],
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

export const teamsNotifier: Notifier = {
  type: 'msteams',
  render: (n, provider) => ({ url: provider.url, headers: { ...JSON_HEADERS }, body: JSON.stringify(teamsPayload(n)) }),
};
