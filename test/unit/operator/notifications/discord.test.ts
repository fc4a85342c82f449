import { discordColor, discordNotifier, discordPayload } from '../../../../operator/notifications/discord.js';
import { rollbackNotification } from './fixtures.js';

describe('Discord payload', () => {
  it('is one native embed coloured by severity, with inline fields and mentions disabled', () => {
    expect(discordPayload(rollbackNotification(), { username: 'deploys' })).toEqual({
      username: 'deploys',
      embeds: [
        {
          title: 'Rolled back podinfo.test',
          description: 'Canary failed: request-success-rate 80.25 < 99',
          color: 0xa30200,
          fields: [
            { name: 'Target', value: 'Deployment/podinfo.test', inline: true },
            { name: 'Phase', value: 'Failed', inline: true },
            { name: 'Revision', value: '7d9f8c6b5a', inline: true },
            { name: 'Image', value: 'ghcr.io/stefanprodan/podinfo:6.5.1', inline: true },
            { name: 'Canary weight', value: '20%', inline: true },
            { name: 'Metric', value: 'request-success-rate', inline: true },
            { name: 'Value', value: '80.25', inline: true },
            { name: 'Threshold', value: 'at least 99', inline: true },
          ],
          timestamp: '2026-11-21T10:15:30.000Z',
          footer: { text: 'Sluice' },
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('converts colours and stays within Discord’s 6000-character embed limit for huge messages', () => {
    expect(discordColor('#2EB886')).toBe(0x2eb886);
    const huge = discordPayload(rollbackNotification({ message: 'x'.repeat(10_000), image: 'i'.repeat(5_000) }), {});
    const embed = huge.embeds[0];
    if (!embed) throw new Error('no embed');
    const size = embed.title.length + embed.description.length + embed.footer.text.length + embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    expect(size).toBeLessThanOrEqual(6000);
    expect(embed.description.endsWith('…')).toBe(true);
    expect(huge.username).toBe('Sluice');
  });

  it('renders as a JSON POST to the webhook URL itself (not /slack)', () => {
    const url = 'https://discord.com/api/webhooks/123/abc';
    const request = discordNotifier.render(rollbackNotification(), { ref: { name: 'd', namespace: 'test' }, type: 'discord', url }, new Date());
    expect(request.url).toBe(url);
    expect(JSON.parse(request.body)).toEqual(discordPayload(rollbackNotification(), {}));
  });
});
