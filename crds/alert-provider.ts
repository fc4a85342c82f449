// The AlertProvider kind: where rollout events go (Slack, Microsoft Teams, Discord or any
// webhook), referenced from Canary.spec.analysis.alerts[].providerRef. As in Flagger, the
// webhook URL is itself a credential, so it may (and should) live in a Secret instead.

import { conditions, httpUrl, secretRef } from './common.js';
import { kindMeta, type Resource } from './group.js';
import { type Static, enumOf, integer, object, optional, string } from './schema/builder.js';

export const ALERT_PROVIDER = kindMeta({
  kind: 'AlertProvider',
  listKind: 'AlertProviderList',
  plural: 'alertproviders',
  singular: 'alertprovider',
  shortNames: ['ap'],
});

export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'generic'] as const;
export type AlertProviderType = (typeof ALERT_PROVIDER_TYPES)[number];

/** Keys read from the Secret named by secretRef. */
export const ALERT_SECRET_KEYS = { address: 'address', proxy: 'proxy' } as const;

export const alertProviderSpec = object(
  {
    type: enumOf(ALERT_PROVIDER_TYPES, { description: 'Message format: slack, msteams, discord, or generic (Flagger event JSON).' }),
    channel: optional(string({ description: 'Channel to post to, where the service supports it (Slack).', minLength: 1, maxLength: 256 })),
    username: optional(string({ description: 'Name the messages are posted under.', minLength: 1, maxLength: 256 })),
    address: optional(httpUrl({ description: 'Webhook URL. Prefer secretRef: anyone who can read the URL can post.' })),
    secretRef: optional(
      secretRef('Secret holding the webhook URL under the key address (and optionally a proxy URL under proxy); overrides address.'),
    ),
    proxy: optional(httpUrl({ description: 'HTTP(S) proxy to reach the webhook through.' })),
  },
  {
    description: 'Where and how rollout events are sent.',
    validations: [
      {
        rule: 'has(self.address) || has(self.secretRef)',
        message: 'set address, or secretRef to a Secret with the URL under the key address',
        fieldPath: '.address',
        reason: 'FieldValueRequired',
      },
    ],
  },
);

export const alertProviderStatus = object({
  observedGeneration: optional(integer({ description: 'The .metadata.generation this status describes.', minimum: 0, format: 'int64' })),
  conditions: optional(conditions('Ready: the webhook URL resolved (from the spec or the Secret).')),
});

export type AlertProviderSpec = Static<typeof alertProviderSpec>;
export type AlertProviderStatus = Static<typeof alertProviderStatus>;
export type AlertProvider = Resource<'AlertProvider', AlertProviderSpec, AlertProviderStatus>;
