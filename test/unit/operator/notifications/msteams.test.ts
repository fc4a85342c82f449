import { teamsNotifier, teamsPayload } from '../../../../operator/notifications/msteams.js';
import { rollbackNotification } from './fixtures.js';

describe('Microsoft Teams payload', () => {
  it('is an Adaptive Card in a message envelope with a coloured title and a fact set', () => {
    expect(teamsPayload(rollbackNotification())).toEqual({
      type: 'message',
      summary: 'Rolled back podinfo.test',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: 'Rolled back podinfo.test', wrap: true, weight: 'Bolder', size: 'Medium', color: 'Attention' },
              { type: 'TextBlock', text: 'Deployment/podinfo.test · 2026-11-21T10:15:30.000Z', wrap: true, isSubtle: true, spacing: 'None' },
              { type: 'TextBlock', text: 'Canary failed: request-success-rate 80.25 < 99', wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Target', value: 'Deployment/podinfo.test' },
                  { title: 'Phase', value: 'Failed' },
                  { title: 'Revision', value: '7d9f8c6b5a' },
                  { title: 'Image', value: 'ghcr.io/stefanprodan/podinfo:6.5.1' },
                  { title: 'Canary weight', value: '20%' },
                  { title: 'Metric', value: 'request-success-rate' },
                  { title: 'Value', value: '80.25' },
                  { title: 'Threshold', value: 'at least 99' },
                ],
              },
            ],
            msteams: { width: 'Full' },
          },
        },
      ],
    });
  });

  it('colours the title by severity', () => {
    const color = (severity: 'info' | 'warn' | 'error'): unknown => {
      const first = teamsPayload(rollbackNotification({ severity })).attachments[0]?.content.body[0];
      return first && 'color' in first ? first.color : undefined;
    };
    expect([color('info'), color('warn'), color('error')]).toEqual(['Good', 'Warning', 'Attention']);
  });

  it('renders as a JSON POST to the webhook URL', () => {
    const url = 'https://example.webhook.office.com/webhookb2/abc';
    const request = teamsNotifier.render(rollbackNotification(), { ref: { name: 't', namespace: 'test' }, type: 'msteams', url }, new Date());
    expect(request.url).toBe(url);
    expect(JSON.parse(request.body)).toEqual(teamsPayload(rollbackNotification()));
  });
});
