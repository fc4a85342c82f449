// The waypoint of a namespace: the Deployment of Sluice proxies that serves every MeshRoute
// in it, its ServiceAccount (the identity the config server checks) and a Service for its
// admin port (metrics, health). Pure: returns the objects the controller applies.
import type { V1Deployment, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import type { OperatorOptions } from '../runtime/operator-options.js';
import type { WaypointResources, WaypointToleration } from './waypoint-pod-settings.js';

export const WAYPOINT_NAME = 'sluice-waypoint';
export const WAYPOINT_ADMIN_PORT = 15020;
/** Audience of the projected token proxies present to the config server. */
export const WAYPOINT_TOKEN_AUDIENCE = 'sluice.dev/config-server';
export const WAYPOINT_LABELS = {
  'app.kubernetes.io/name': WAYPOINT_NAME,
  'app.kubernetes.io/component': 'waypoint',
  'app.kubernetes.io/managed-by': 'sluice',
} as const;
export const WAYPOINT_SELECTOR: Record<string, string> = {
  'app.kubernetes.io/name': WAYPOINT_NAME,
  'app.kubernetes.io/component': 'waypoint',
};

export interface WaypointSettings {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Secrets in the waypoint's namespace for pulling the image (the operator does not copy Secrets). */
  imagePullSecrets?: readonly string[];
  replicas: number;
  /** URL of the operator's config server as seen from the namespace. */
  configServerUrl: string;
  /**
   * DNS name the config server's certificate is checked against, when the URL reaches it by
   * another name or by address (https only).
   */
  configServerName?: string;
  /** Name of a ConfigMap in the namespace holding `ca.crt` for the config server; absent: plain HTTP. */
  configServerCaConfigMap?: string;
  resources?: WaypointResources;
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly WaypointToleration[];
  logLevel?: string;
}

/** What a proxy needs for a few thousand requests a second; limits memory only (CPU limits throttle latency). */
export const DEFAULT_WAYPOINT_RESOURCES: WaypointResources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } };

/** The operator's waypoint flags as settings; undefined when it runs no waypoints (no image). */
export function waypointSettingsFromOptions(options: OperatorOptions): WaypointSettings | undefined {
  if (!options.waypointImage) return undefined;
  return {
    image: options.waypointImage,
    replicas: options.waypointReplicas,
    configServerUrl: options.waypointConfigServerUrl,
    ...(options.waypointConfigServerName ? { configServerName: options.waypointConfigServerName } : {}),
    ...(options.waypointCaConfigMap ? { configServerCaConfigMap: options.waypointCaConfigMap } : {}),
    ...(options.waypointImagePullPolicy ? { imagePullPolicy: options.waypointImagePullPolicy } : {}),
    ...(options.waypointImagePullSecrets.length > 0 ? { imagePullSecrets: options.waypointImagePullSecrets } : {}),
    ...(options.waypointResources ? { resources: options.waypointResources } : {}),
    ...(options.waypointNodeSelector ? { nodeSelector: options.waypointNodeSelector } : {}),
    ...(options.waypointTolerations ? { tolerations: options.waypointTolerations } : {}),
  };
}

const TOKEN_DIR = '/var/run/secrets/sluice';
const CA_DIR = '/etc/sluice/ca';

export function waypointServiceAccount(namespace: string): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: WAYPOINT_NAME, namespace, labels: { ...WAYPOINT_LABELS } },
    // The proxy reads only its projected token; nothing needs the legacy automount.
    automountServiceAccountToken: false,
  };
}

export function waypointService(namespace: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: WAYPOINT_NAME, namespace, labels: { ...WAYPOINT_LABELS } },
    spec: {
      selector: { ...WAYPOINT_SELECTOR },
      ports: [{ name: 'admin', port: WAYPOINT_ADMIN_PORT, targetPort: WAYPOINT_ADMIN_PORT, protocol: 'TCP' }],
    },
  };
}

/** The proxy's namespace comes from its ServiceAccount token, so it is not an argument. */
export function waypointProxyArgs(settings: WaypointSettings): string[] {
  const args = [
    `--admin-port=${WAYPOINT_ADMIN_PORT}`,
    `--control-plane-url=${settings.configServerUrl}`,
    `--token-file=${TOKEN_DIR}/token`,
    `--log-level=${settings.logLevel ?? 'info'}`,
  ];
  if (settings.configServerCaConfigMap) args.push(`--control-plane-ca-file=${CA_DIR}/ca.crt`);
  if (settings.configServerName) args.push(`--control-plane-server-name=${settings.configServerName}`);
  return args;
}

export function waypointDeployment(namespace: string, settings: WaypointSettings): V1Deployment {
  const volumes: NonNullable<NonNullable<NonNullable<V1Deployment['spec']>['template']['spec']>['volumes']> = [
    {
      name: 'token',
      projected: {
        sources: [{ serviceAccountToken: { path: 'token', audience: WAYPOINT_TOKEN_AUDIENCE, expirationSeconds: 3600 } }],
      },
    },
  ];
  const mounts = [{ name: 'token', mountPath: TOKEN_DIR, readOnly: true }];
  if (settings.configServerCaConfigMap) {
    volumes.push({ name: 'config-server-ca', configMap: { name: settings.configServerCaConfigMap } });
    mounts.push({ name: 'config-server-ca', mountPath: CA_DIR, readOnly: true });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: WAYPOINT_NAME, namespace, labels: { ...WAYPOINT_LABELS } },
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: { ...WAYPOINT_SELECTOR } },
      // Never fewer ready proxies than wanted while the waypoint itself is upgraded.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: { ...WAYPOINT_LABELS },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(WAYPOINT_ADMIN_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: WAYPOINT_NAME,
          automountServiceAccountToken: false,
          ...(settings.imagePullSecrets?.length ? { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) } : {}),
          ...(settings.nodeSelector && Object.keys(settings.nodeSelector).length > 0 ? { nodeSelector: { ...settings.nodeSelector } } : {}),
          ...(settings.tolerations?.length ? { tolerations: settings.tolerations.map((t) => ({ ...t })) } : {}),
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 30,
          volumes,
          containers: [
            {
              name: 'proxy',
              image: settings.image,
              imagePullPolicy: settings.imagePullPolicy ?? 'IfNotPresent',
              command: ['sluice-proxy'],
              args: waypointProxyArgs(settings),
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'admin', containerPort: WAYPOINT_ADMIN_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/readyz', port: WAYPOINT_ADMIN_PORT }, periodSeconds: 2, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: WAYPOINT_ADMIN_PORT }, periodSeconds: 10, failureThreshold: 3 },
              resources: copyResources(settings.resources ?? DEFAULT_WAYPOINT_RESOURCES),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            },
          ],
        },
      },
    },
  };
}

function copyResources(resources: WaypointResources): WaypointResources {
  return {
    ...(resources.requests ? { requests: { ...resources.requests } } : {}),
    ...(resources.limits ? { limits: { ...resources.limits } } : {}),
  };
}
