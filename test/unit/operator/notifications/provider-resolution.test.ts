import { API_VERSION, type AlertProvider, type AlertProviderSpec } from '../../../../crds/index.js';
import {
  ProviderResolutionError,
  createProviderResolver,
  decodeSecretData,
  resolveAlertProvider,
  type SecretLike,
} from '../../../../operator/notifications/provider-resolution.js';

const ref = { name: 'team', namespace: 'apps' };
const provider = (spec: AlertProviderSpec): AlertProvider => ({ apiVersion: API_VERSION, kind: 'AlertProvider', metadata: { name: 'team', namespace: 'apps' }, spec });
const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64');

function resolutionError(fn: () => unknown): ProviderResolutionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderResolutionError) return err;
    throw err;
  }
  throw new Error('expected a ProviderResolutionError');
}

describe('resolveAlertProvider', () => {
  it('takes address, proxy, channel and username from the spec', () => {
    const spec: AlertProviderSpec = { type: 'slack', address: 'https://hooks.slack.com/services/x', proxy: 'http://proxy:3128', channel: '#d', username: 'bot' };
    expect(resolveAlertProvider(ref, provider(spec))).toEqual({
      ref,
      type: 'slack',
      url: 'https://hooks.slack.com/services/x',
      proxy: 'http://proxy:3128',
      channel: '#d',
      username: 'bot',
    });
  });

  it('lets the Secret’s address and proxy override the spec, and reads the signing key from token', () => {
    const spec: AlertProviderSpec = { type: 'generic', address: 'https://old.example/hook', proxy: 'http://old-proxy:1', secretRef: { name: 's' } };
    const resolved = resolveAlertProvider(ref, provider(spec), { address: 'https://new.example/hook', proxy: 'http://new-proxy:2', token: 'k' });
    expect(resolved).toEqual({ ref, type: 'generic', url: 'https://new.example/hook', proxy: 'http://new-proxy:2', signingKey: 'k' });
  });

  it('falls back to spec.address when the Secret only holds the signing key', () => {
    const spec: AlertProviderSpec = { type: 'generic', address: 'https://hook.example/x', secretRef: { name: 's' } };
    expect(resolveAlertProvider(ref, provider(spec), { token: 'k' })).toMatchObject({ url: 'https://hook.example/x', signingKey: 'k' });
    expect(resolveAlertProvider(ref, provider(spec), { token: '  ' })).not.toHaveProperty('signingKey');
  });

  it('fails permanently without a URL or with a bad one, without echoing the URL', () => {
    const missing = resolutionError(() => resolveAlertProvider(ref, provider({ type: 'slack', secretRef: { name: 's' } }), {}));
    expect(missing.permanent).toBe(true);
    expect(missing.message).toBe('AlertProvider apps/team has no webhook URL: neither the key address of Secret s nor spec.address is set');
    const bad = resolutionError(() => resolveAlertProvider(ref, provider({ type: 'slack', secretRef: { name: 's' } }), { address: 'not a url secret123' }));
    expect(bad.permanent).toBe(true);
    expect(bad.message).not.toContain('secret123');
    const unknownType = resolutionError(() => resolveAlertProvider(ref, provider({ type: 'pagerduty' as AlertProviderSpec['type'], address: 'https://x/y' })));
    expect(unknownType).toMatchObject({ permanent: true, message: 'AlertProvider apps/team: unsupported type "pagerduty"' });
    const ftp = resolutionError(() => resolveAlertProvider(ref, provider({ type: 'slack', address: 'ftp://x/y' })));
    expect(ftp.message).toBe('AlertProvider apps/team: the webhook address must be http or https, not ftp:');
  });
});

describe('decodeSecretData', () => {
  it('decodes base64 values', () => {
    expect(decodeSecretData({ data: { address: b64('https://h/x'), token: b64('k€y') } })).toEqual({ address: 'https://h/x', token: 'k€y' });
    expect(decodeSecretData({})).toEqual({});
  });
});

describe('createProviderResolver', () => {
  const providers = new Map<string, AlertProvider>([
    ['apps/team', provider({ type: 'generic', secretRef: { name: 'team-hook' } })],
    ['apps/plain', provider({ type: 'slack', address: 'https://hooks.slack.com/services/p' })],
  ]);
  const secrets = new Map<string, SecretLike>([['apps/team-hook', { data: { address: b64('https://hook.example/x'), token: b64('k') } }]]);
  const reads: string[] = [];
  const resolver = createProviderResolver({
    getAlertProvider: (r) => providers.get(`${r.namespace}/${r.name}`),
    getSecret: async (namespace, name) => {
      reads.push(`${namespace}/${name}`);
      return secrets.get(`${namespace}/${name}`);
    },
  });

  it('reads the provider and its Secret from the provider’s namespace', async () => {
    await expect(resolver(ref)).resolves.toEqual({ ref, type: 'generic', url: 'https://hook.example/x', signingKey: 'k' });
    expect(reads).toEqual(['apps/team-hook']);
    await expect(resolver({ name: 'plain', namespace: 'apps' })).resolves.toMatchObject({ type: 'slack', url: 'https://hooks.slack.com/services/p' });
    expect(reads).toEqual(['apps/team-hook']);
  });

  it('fails permanently for a missing provider, and transiently for a missing or unreadable Secret', async () => {
    await expect(resolver({ name: 'nope', namespace: 'apps' })).rejects.toMatchObject({ permanent: true, message: 'AlertProvider apps/nope not found' });
    secrets.delete('apps/team-hook');
    await expect(resolver(ref)).rejects.toMatchObject({ permanent: false, message: 'AlertProvider apps/team: Secret apps/team-hook not found' });
    const failing = createProviderResolver({
      getAlertProvider: () => provider({ type: 'generic', secretRef: { name: 'x' } }),
      getSecret: () => Promise.reject(new Error('connection refused')),
    });
    await expect(failing(ref)).rejects.toMatchObject({ permanent: false, message: 'AlertProvider apps/team: reading Secret x failed: connection refused' });
  });
});
