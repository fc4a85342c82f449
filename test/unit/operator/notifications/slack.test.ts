import { escapeSlack, slackNotifier, slackPayload } from '../../../../operator/notifications/slack.js';
import type { ResolvedProvider } from '../../../../operator/notifications/provider-resolution.js';
import { rollbackNotification } from './fixtures.js';

const provider: ResolvedProvider = {
  ref: { name: 'slack', namespace: 'test' },
  type: 'slack',
  url: 'https://hooks.slack.com/services/T000/B000/XXXX',
  channel: '#deploys',
  username: 'sluice-bot',
};

describe('Slack payload', () => {
  it('is one attachment coloured by severity with the facts as short fields', () => {
    const payload = slackPayload(rollbackNotification(), provider);
    expect(payload).toEqual({
      channel: '#deploys',
      username: 'sluice-bot',
      icon_emoji: ':rotating_light:',
      text: 'Rolled back podinfo.test: Canary failed: request-success-rate 80.25 &lt; 99',
      attachments: [
        {
          color: '#A30200',
          fallback: 'Rolled back podinfo.test: Canary failed: request-success-rate 80.25 &lt; 99',
          author_name: 'podinfo.test',
          title: 'Rolled back podinfo.test',
          text: 'Canary failed: request-success-rate 80.25 &lt; 99',
          mrkdwn_in: ['text'],
          fields: [
            { title: 'Target', value: 'Deployment/podinfo.test', short: true },
            { title: 'Phase', value: 'Failed', short: true },
            { title: 'Revision', value: '7d9f8c6b5a', short: true },
            { title: 'Image', value: 'ghcr.io/stefanprodan/podinfo:6.5.1', short: true },
            { title: 'Canary weight', value: '20%', short: true },
            { title: 'Metric', value: 'request-success-rate', short: true },
            { title: 'Value', value: '80.25', short: true },
            { title: 'Threshold', value: 'at least 99', short: true },
          ],
          footer: 'Sluice',
          ts: 1795256130,
        },
      ],
    });
  });

  it('colours by severity and leaves channel out when the provider has none', () => {
    const info = slackPayload(rollbackNotification({ severity: 'info', reason: 'Promoted' }), { username: undefined });
    expect(info.attachments[0]?.color).toBe('#2EB886');
    expect(info.icon_emoji).toBe(':rocket:');
    expect(info.username).toBe('Sluice');
    expect(info).not.toHaveProperty('channel');
    expect(slackPayload(rollbackNotification({ severity: 'warn' }), {}).attachments[0]?.color).toBe('#DAA038');
  });

  it('escapes Slack control characters so text cannot become links or mentions', () => {
    expect(escapeSlack('<!channel> a & b > c')).toBe('&lt;!channel&gt; a &amp; b &gt; c');
    const payload = slackPayload(rollbackNotification({ message: 'see <https://evil|here>' }), {});
    expect(payload.attachments[0]?.text).toBe('see &lt;https://evil|here&gt;');
  });

  it('renders as a JSON POST to the webhook URL', () => {
    const request = slackNotifier.render(rollbackNotification(), provider, new Date());
    expect(request.url).toBe(provider.url);
    expect(request.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request.body)).toEqual(slackPayload(rollbackNotification(), provider));
  });
});
