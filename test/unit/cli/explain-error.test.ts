import { ApiException } from '@kubernetes/client-node';
import { explainKubeError, type Operation } from '../../../cli/explain-error.js';
import { EXIT } from '../../../cli/exit-codes.js';
import { KubeRequestError } from '../../../operator/runtime/kube-errors.js';

const endpoint = { server: 'https://127.0.0.1:6443', context: 'kind-dev' };
const getCanary: Operation = { verb: 'get', resource: 'canaries', group: 'sluice.dev', singular: 'canary', namespace: 'shop', name: 'podinfo' };
const patchCanary: Operation = { ...getCanary, verb: 'patch' };

const status = (code: number, reason: string, message: string, details?: Record<string, unknown>) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
  ...(details === undefined ? {} : { details }),
});

describe('explainKubeError', () => {
  it('names a missing canary and its namespace', () => {
    const err = new KubeRequestError(404, 'GET failed', status(404, 'NotFound', 'canaries.sluice.dev "podinfo" not found', { name: 'podinfo', group: 'sluice.dev', kind: 'canaries' }));
    const explained = explainKubeError(err, getCanary, endpoint);
    expect(explained.message).toBe('canary "podinfo" not found in namespace "shop"');
    expect(explained.exitCode).toBe(EXIT.notFound);
  });

  it('tells a missing API (CRDs not installed) from a missing canary', () => {
    const err = new KubeRequestError(404, 'GET failed', status(404, 'NotFound', 'the server could not find the requested resource'));
    const explained = explainKubeError(err, getCanary, endpoint);
    expect(explained.message).toMatch(/does not serve canaries\.sluice\.dev: are Sluice's CRDs installed/);
    expect(explained.exitCode).toBe(EXIT.notFound);
  });

  it('says which verb was forbidden where, from a generated client error with a text body', () => {
    const body = JSON.stringify(
      status(403, 'Forbidden', 'canaries.sluice.dev "podinfo" is forbidden: User "system:serviceaccount:shop:ci" cannot patch resource "canaries"'),
    );
    const explained = explainKubeError(new ApiException(403, 'Forbidden', body, {}), patchCanary, endpoint);
    expect(explained.message).toMatch(/^you may not patch canaries in namespace "shop" \(canaries.sluice.dev "podinfo" is forbidden: User/);
    expect(explained.exitCode).toBe(EXIT.forbidden);
  });

  it('words forbidden lists across namespaces', () => {
    const { namespace: _n, name: _m, ...everywhere } = getCanary;
    const explained = explainKubeError(new KubeRequestError(403, 'x', undefined), { ...everywhere, verb: 'list' }, endpoint);
    expect(explained.message).toBe('you may not list canaries in any namespace');
  });

  it('explains rejected credentials', () => {
    const explained = explainKubeError(new KubeRequestError(401, 'x', status(401, 'Unauthorized', 'Unauthorized')), getCanary, endpoint);
    expect(explained.message).toMatch(/did not accept the credentials of context "kind-dev"/);
    expect(explained.exitCode).toBe(EXIT.forbidden);
  });

  it('explains an unreachable API server, whether the code is on the error or its cause', () => {
    const direct = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    const nested = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example'), { code: 'ENOTFOUND' }) });
    for (const err of [direct, nested]) {
      const explained = explainKubeError(err, getCanary, endpoint);
      expect(explained.message).toMatch(/^cannot reach the API server at https:\/\/127\.0\.0\.1:6443 \(context "kind-dev"\): E[A-Z]+: is the cluster running/);
      expect(explained.exitCode).toBe(EXIT.unavailable);
    }
  });

  it('explains a TLS failure', () => {
    const err = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(explainKubeError(err, getCanary, endpoint).message).toMatch(/TLS failed \(DEPTH_ZERO_SELF_SIGNED_CERT\): check the cluster's certificate-authority/);
  });

  it('passes other API answers through with the server message', () => {
    const explained = explainKubeError(new KubeRequestError(500, 'x', status(500, 'InternalError', 'etcd is sad')), getCanary, endpoint);
    expect(explained.message).toBe('the API server answered 500 to get canaries: etcd is sad');
    expect(explained.exitCode).toBe(EXIT.unavailable);
  });
});
