import { kubeconfigSource, pickContext } from '../../../cli/kubeconfig.js';

describe('kubeconfigSource', () => {
  const none = (): boolean => false;

  it('prefers --kubeconfig, then $KUBECONFIG, then ~/.kube/config, then in-cluster', () => {
    expect(kubeconfigSource({ flag: '/a', env: '/b', home: '/home/u', fileExists: () => true })).toEqual({ kind: 'flag', path: '/a' });
    expect(kubeconfigSource({ env: '/b:/c', home: '/home/u', fileExists: () => true })).toEqual({ kind: 'env', paths: ['/b', '/c'] });
    expect(kubeconfigSource({ env: '', home: '/home/u', fileExists: (p) => p === '/home/u/.kube/config' })).toEqual({ kind: 'home', path: '/home/u/.kube/config' });
    expect(kubeconfigSource({ home: '/home/u', fileExists: (p) => p.endsWith('serviceaccount/token') })).toEqual({ kind: 'in-cluster' });
  });

  it('says where it looked when there is nothing', () => {
    const source = kubeconfigSource({ home: '/home/u', fileExists: none });
    expect(source).toMatchObject({ kind: 'none' });
    if (source.kind === 'none') expect(source.looked).toContain('/home/u/.kube/config');
  });
});

describe('pickContext', () => {
  const facts = {
    contexts: [
      { name: 'dev', cluster: 'c1', namespace: 'team' },
      { name: 'prod', cluster: 'c2' },
      { name: 'broken', cluster: 'gone' },
    ],
    clusters: [
      { name: 'c1', server: 'https://dev:6443' },
      { name: 'c2', server: 'https://prod:6443' },
    ],
    current: 'dev',
  };

  it('uses the current context and its namespace', () => {
    expect(pickContext(facts, undefined, undefined, 'kc')).toEqual({ ok: true, context: 'dev', server: 'https://dev:6443', namespace: 'team' });
  });

  it('lets --context and -n override, and falls back to "default"', () => {
    expect(pickContext(facts, 'prod', undefined, 'kc')).toEqual({ ok: true, context: 'prod', server: 'https://prod:6443', namespace: 'default' });
    expect(pickContext(facts, 'dev', 'other', 'kc')).toMatchObject({ namespace: 'other' });
  });

  it('names the available contexts when the one asked for is missing', () => {
    expect(pickContext(facts, 'staging', undefined, '/home/u/.kube/config')).toEqual({
      ok: false,
      error: 'context "staging" not found in the kubeconfig (/home/u/.kube/config); available: dev, prod, broken',
    });
  });

  it('explains a context without a cluster and a kubeconfig without a current context', () => {
    expect(pickContext(facts, 'broken', undefined, 'kc')).toMatchObject({ ok: false, error: expect.stringMatching(/names cluster "gone", which is not in the kubeconfig/) });
    expect(pickContext({ ...facts, current: '' }, undefined, undefined, 'kc')).toMatchObject({ ok: false, error: expect.stringMatching(/no current context: pass --context/) });
  });
});
