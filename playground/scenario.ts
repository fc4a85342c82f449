// What the playground deploys and what it rolls out, as plain objects: the demo app's
// Deployment and Service, an AlertProvider that posts to the playground's own receiver, and
// a Canary with short intervals so that both rollouts end within a minute or two. The image
// name is the one the pod runner recognises as the demo app (test/harness/pod-launch.ts):
// every pod of it runs test/apps/demo-app.ts with VERSION, ERROR_RATE and LATENCY_MS from
// the pod's env.
import type { V1Deployment, V1PodTemplateSpec, V1Secret, V1Service } from '@kubernetes/client-node';
import type { AlertProvider, Canary } from '../crds/index.js';

/** The kubeconfig's context namespace: the CLI finds the demo without -n. */
export const NAMESPACE = 'default';
export const APP = 'demo';
export const ALERT_PROVIDER = 'terminal';
export const APP_PORT = 8080;
export const SERVICE_PORT = 80;
export const DEMO_IMAGE = 'sluice.dev/demo-app';

export interface Revision {
  version: string;
  /** Share of requests the app answers 500, 0..1. */
  errorRate: number;
  /** What the revision is meant to show, for the screen. */
  label: string;
  /** How the rollout should end. */
  expected: 'promoted' | 'rolled back';
}

export const STABLE: Revision = { version: 'v1', errorRate: 0, label: 'the stable version', expected: 'promoted' };

/** The two rollouts, in order. */
export const ROLLOUTS: readonly Revision[] = [
  { version: 'v2', errorRate: 0, label: 'healthy', expected: 'promoted' },
  { version: 'v3', errorRate: 0.3, label: '30% of requests fail', expected: 'rolled back' },
];

/** A few milliseconds of work per request, so that the latency check has something to measure. */
const LATENCY_MS = 2;
const LATENCY_JITTER_MS = 8;

export function podTemplate(revision: Revision): V1PodTemplateSpec {
  return {
    metadata: { labels: { app: APP } },
    spec: {
      containers: [
        {
          name: 'app',
          image: `${DEMO_IMAGE}:${revision.version}`,
          ports: [{ name: 'http', containerPort: APP_PORT }],
          env: [
            { name: 'VERSION', value: revision.version },
            { name: 'ERROR_RATE', value: String(revision.errorRate) },
            { name: 'LATENCY_MS', value: String(LATENCY_MS) },
            { name: 'LATENCY_JITTER_MS', value: String(LATENCY_JITTER_MS) },
          ],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
        },
      ],
    },
  };
}

export function deployment(revision: Revision): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP, namespace: NAMESPACE, labels: { app: APP } },
    spec: { replicas: 2, selector: { matchLabels: { app: APP } }, template: podTemplate(revision) },
  };
}

/** The Service clients call; the Canary takes it over and points it at the waypoint. */
export function service(): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: APP, namespace: NAMESPACE, labels: { app: APP } },
    spec: { selector: { app: APP }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
  };
}

/** The webhook URL lives in a Secret, as the AlertProvider's documentation recommends. */
export function alertSecret(receiverUrl: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${ALERT_PROVIDER}-webhook`, namespace: NAMESPACE },
    stringData: { address: receiverUrl },
  };
}

export function alertProvider(): AlertProvider {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AlertProvider',
    metadata: { name: ALERT_PROVIDER, namespace: NAMESPACE },
    spec: { type: 'generic', secretRef: { name: `${ALERT_PROVIDER}-webhook` } },
  };
}

/**
 * Flagger's defaults (1 min per step, 5 failed checks) would take half an hour here; 5 s
 * steps of 20% up to 60% promote a healthy revision in about half a minute, and two failed
 * checks roll a faulty one back in about ten seconds.
 */
export function canary(): Canary {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Canary',
    metadata: { name: APP, namespace: NAMESPACE },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: APP },
      service: { port: SERVICE_PORT, targetPort: APP_PORT, portName: 'http' },
      progressDeadlineSeconds: 60,
      // Deleting the demo's Canary gives the Deployment its pods and its Service back.
      revertOnDeletion: true,
      analysis: {
        interval: '5s',
        threshold: 2,
        stepWeight: 20,
        maxWeight: 60,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '5s' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '5s' },
        ],
        judge: { mode: 'threshold', minRequests: 20, confidence: 0.95, maxRelativeDegradation: 0.1 },
        alerts: [{ name: ALERT_PROVIDER, severity: 'info', providerRef: { name: ALERT_PROVIDER } }],
      },
    },
  };
}
