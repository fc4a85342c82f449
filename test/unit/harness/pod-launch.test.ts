import type { V1Pod } from '@kubernetes/client-node';
import { waypointDeployment, WAYPOINT_TOKEN_AUDIENCE } from '../../../operator/meshroute/waypoint.js';
import { launchPlan, programOf } from '../../harness/pod-launch.js';

const context = { mapAddress: (ip: string) => ip.replace(/^198\.18\./, '127.18.'), podDir: '/run/pods/ns/p' };

function podOf(spec: V1Pod['spec'], extra: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { app: 'x' } },
    spec,
    status: { podIP: '198.18.16.7', phase: 'Running' },
    ...extra,
  };
}

describe('programOf', () => {
  it.each([
    [{ name: 'c', image: 'sluice.dev/demo-app:v2' }, 'demo-app'],
    [{ name: 'c', image: 'registry:5000/team/demo-app@sha256:abc' }, 'demo-app'],
    [{ name: 'c', image: 'demo-app' }, 'demo-app'],
    [{ name: 'c', image: 'nginx:1.27' }, undefined],
    [{ name: 'c', image: 'demo-application:1' }, undefined],
    [{ name: 'c', image: 'ghcr.io/x/proxy:1', command: ['sluice-proxy'] }, 'sluice-proxy'],
    // A command wins over the image: the image's entrypoint is not what runs.
    [{ name: 'c', image: 'sluice.dev/demo-app:v1', command: ['sh', '-c', 'sleep 1'] }, undefined],
  ])('%j runs %s', (container, program) => {
    expect(programOf(container)).toBe(program);
  });
});

describe('launchPlan', () => {
  it('runs the waypoint proxy with its own args, the token and CA rewritten to local files, bound to the pod address', () => {
    const deployment = waypointDeployment('shop', {
      image: 'sluice.dev/proxy:dev',
      replicas: 2,
      configServerUrl: 'http://127.0.0.1:4000',
      configServerCaConfigMap: 'sluice-ca',
    });
    const pod = podOf(deployment.spec?.template.spec);
    const plan = launchPlan(pod, context);
    expect(plan).toMatchObject({
      program: 'sluice-proxy',
      script: 'dist/proxy/main.js',
      address: '127.18.16.7',
      args: [
        '--admin-port=15020',
        '--control-plane-url=http://127.0.0.1:4000',
        '--token-file=/run/pods/ns/p/volumes/token/token',
        '--log-level=info',
        '--control-plane-ca-file=/run/pods/ns/p/volumes/config-server-ca/ca.crt',
      ],
      env: { POD_NAME: 'p', SLUICE_BIND_ADDRESS: '127.18.16.7' },
      readiness: { port: 15020, path: '/readyz' },
      tokens: [{ path: '/run/pods/ns/p/volumes/token/token', serviceAccount: 'sluice-waypoint', audiences: [WAYPOINT_TOKEN_AUDIENCE], expirationSeconds: 3600 }],
      objects: [{ kind: 'ConfigMap', name: 'sluice-ca', dir: '/run/pods/ns/p/volumes/config-server-ca', optional: false }],
      ignored: [],
    });
  });

  it("runs the demo app with the pod's env, its container port, and the readiness of a listening port", () => {
    const plan = launchPlan(
      podOf({
        containers: [
          {
            name: 'app',
            image: 'sluice.dev/demo-app:v2',
            ports: [{ name: 'http', containerPort: 8080 }],
            env: [
              { name: 'VERSION', value: 'v2' },
              { name: 'ERROR_RATE', value: '0.2' },
              { name: 'GREETING', value: 'hello $(VERSION)' },
              { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
            ],
          },
        ],
      }),
      context,
    );
    expect(plan?.env).toEqual({ VERSION: 'v2', ERROR_RATE: '0.2', GREETING: 'hello v2', ME: 'p', IP: '127.18.16.7', APP: 'x', PORT: '8080', HOST: '127.18.16.7' });
    expect(plan?.readiness).toEqual({ port: 8080 });
    expect(plan?.args).toEqual([]);
    expect(plan?.ignored).toEqual(['env SECRET: secretKeyRef']);
  });

  it('takes a named probe port and an explicit PORT', () => {
    const plan = launchPlan(
      podOf({
        containers: [
          {
            name: 'app',
            image: 'demo-app:1',
            ports: [{ name: 'web', containerPort: 9000 }],
            env: [{ name: 'PORT', value: '9000' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'web' } },
          },
        ],
      }),
      context,
    );
    expect(plan?.env.PORT).toBe('9000');
    expect(plan?.readiness).toEqual({ port: 9000, path: '/healthz' });
  });

  it('runs nothing for unknown images or pods without an address yet', () => {
    expect(launchPlan(podOf({ containers: [{ name: 'c', image: 'nginx' }] }), context)).toBeUndefined();
    expect(launchPlan(podOf({ containers: [{ name: 'c', image: 'demo-app' }] }, { status: { phase: 'Pending' } }), context)).toBeUndefined();
  });
});
