// The Notifier of each AlertProvider type; the Record type makes a new type in the CRD a
// compile error here until it has a renderer.
import type { AlertProviderType } from '../../crds/index.js';
import { discordNotifier } from './discord.js';
import { genericNotifier } from './generic.js';
import { teamsNotifier } from './msteams.js';
import type { Notifier } from './notifier.js';
import { slackNotifier } from './slack.js';

export const NOTIFIERS: Readonly<Record<AlertProviderType, Notifier>> = {
  slack: slackNotifier,
  msteams: teamsNotifier,
  discord: discordNotifier,
  generic: genericNotifier,
};
