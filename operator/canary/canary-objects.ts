// The objects a Canary owns, computed from the Canary and its target: the primary Deployment
// (the target's template under "-primary" labels), the apex/primary/canary Services and the
// MeshRoute for a desired route. Pure; the controller applies them with server-side apply.
import type { V1Deployment, V1PodTemplateSpec, V1Service, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Canary, CanaryMatch } from '../../crds/canary.js';
import { API_VERSION } from '../../crds/group.js';
import type { MeshRoute, MeshRouteMatch, MeshRouteRule } from '../../crds/meshroute.js';
import type { DesiredRoute } from './state-machine.js';

export const REVISION_ANNOTATION = 'sluice.dev/revision';
export const ROUTE_KEY_ANNOTATION = 'sluice.dev/route';
export const CANARY_LABEL = 'sluice.dev/canary';

export function apexName(canary: Canary): string {
  return canary.spec.service.name ?? canary.spec.targetRef.name;
}

export function primaryName(canary: Canary): string {
  return `${canary.spec.targetRef.name}-primary`;
}

function ownerReference(canary: Canary): NonNullable<NonNullable<V1Deployment['metadata']>['ownerReferences']>[number] {
  return {
    apiVersion: API_VERSION,
    kind: 'Canary',
    name: canary.metadata.name,
    uid: canary.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The target's selector labels with "-primary" appended to each value, as Flagger does. */
export function primaryLabels(selector: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, `${v}-primary`]));
}

function primaryTemplate(template: V1PodTemplateSpec, selector: Record<string, string>): V1PodTemplateSpec {
  return {
    ...template,
    metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...primaryLabels(selector) } },
  };
}

export function primaryDeployment(canary: Canary, target: V1Deployment, revision: string, replicas: number): V1Deployment {
  const selector = target.spec?.selector.matchLabels ?? {};
  const namespace = canary.metadata.namespace ?? '';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: primaryName(canary),
      namespace,
      labels: { ...primaryLabels(selector), [CANARY_LABEL]: canary.metadata.name },
      annotations: { [REVISION_ANNOTATION]: revision },
      ownerReferences: [ownerReference(canary)],
    },
    spec: {
      replicas,
      selector: { matchLabels: primaryLabels(selector) },
      ...(target.spec?.strategy ? { strategy: target.spec.strategy } : {}),
      ...(target.spec?.minReadySeconds !== undefined ? { minReadySeconds: target.spec.minReadySeconds } : {}),
      template: primaryTemplate(target.spec?.template ?? {}, selector),
    },
  };
}

function servicePort(canary: Canary): NonNullable<NonNullable<V1Service['spec']>['ports']>[number] {
  const svc = canary.spec.service;
  return {
    name: svc.portName ?? 'http',
    port: svc.port,
    targetPort: svc.targetPort ?? svc.port,
    protocol: 'TCP',
    ...(svc.appProtocol ? { appProtocol: svc.appProtocol } : {}),
  };
}

/**
 * The -primary and -canary Services, and the apex when it does not exist yet. The apex
 * selects the target's pods: when Sluice lets go of it (the Canary is deleted), traffic goes
 * straight back to the user's Deployment.
 */
export function canaryServices(canary: Canary, target: V1Deployment, apexExists: boolean): V1Service[] {
  const selector = target.spec?.selector.matchLabels ?? {};
  const namespace = canary.metadata.namespace ?? '';
  const meta = (name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined) => ({
    name,
    namespace,
    labels: { ...extra?.labels, [CANARY_LABEL]: canary.metadata.name },
    ...(extra?.annotations ? { annotations: extra.annotations } : {}),
    ownerReferences: [ownerReference(canary)],
  });
  const service = (name: string, podSelector: Record<string, string>, extra: typeof canary.spec.service.apex): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, extra),
    spec: { type: 'ClusterIP', selector: podSelector, ports: [servicePort(canary)] },
  });
  const apex = apexName(canary);
  const services = [
    service(`${apex}-primary`, primaryLabels(selector), canary.spec.service.primary),
    service(`${apex}-canary`, selector, canary.spec.service.canary),
  ];
  if (!apexExists) services.unshift(service(apex, selector, canary.spec.service.apex));
  return services;
}

function matchFromCanary(match: CanaryMatch): MeshRouteMatch {
  const named = (m: Record<string, object> | undefined) => (m ? Object.entries(m).map(([name, sm]) => ({ name, ...sm })) : undefined);
  const out: MeshRouteMatch = {};
  const headers = named(match.headers);
  const cookies = named(match.cookies);
  const query = named(match.queryParams);
  if (headers) out.headers = headers as MeshRouteMatch['headers'];
  if (cookies) out.cookies = cookies as MeshRouteMatch['cookies'];
  if (query) out.queryParams = query as MeshRouteMatch['queryParams'];
  if (match.uri) out.path = match.uri;
  if (match.method) out.method = match.method.exact;
  return out;
}

/** The MeshRoute that puts `route` into effect for this Canary. */
export function meshRouteFor(canary: Canary, route: DesiredRoute, routeKey: string): MeshRoute {
  const apex = apexName(canary);
  const port = canary.spec.service.port;
  const primary = { service: `${apex}-primary`, port };
  const canaryBackend = { service: `${apex}-canary`, port };
  const common: Partial<MeshRouteRule> = {};
  const svc = canary.spec.service;
  if (svc.timeout) common.timeout = svc.timeout;
  if (svc.retries) common.retries = svc.retries;
  const rule = (name: string, backends: { service: string; port: number; weight: number }[], extra: Partial<MeshRouteRule> = {}): MeshRouteRule => ({
    name,
    backends,
    ...common,
    ...extra,
  });
  let rules: MeshRouteRule[];
  switch (route.kind) {
    case 'primary':
      rules = [rule('primary', [{ ...primary, weight: 100 }, { ...canaryBackend, weight: 0 }])];
      break;
    case 'canary':
      rules = [rule('canary', [{ ...primary, weight: 0 }, { ...canaryBackend, weight: 100 }])];
      break;
    case 'weighted': {
      const affinity = canary.spec.analysis.sessionAffinity;
      rules = [
        rule(
          'weighted',
          [
            { ...primary, weight: 100 - route.canaryWeight },
            { ...canaryBackend, weight: route.canaryWeight },
          ],
          affinity ? { sessionAffinity: { cookieName: affinity.cookieName, maxAge: affinity.maxAge } } : {},
        ),
      ];
      break;
    }
    case 'ab':
      rules = [
        rule('ab', [{ ...canaryBackend, weight: 100 }], { matches: (canary.spec.analysis.match ?? []).map(matchFromCanary) }),
        rule('primary', [{ ...primary, weight: 100 }, { ...canaryBackend, weight: 0 }]),
      ];
      break;
    case 'mirror':
      rules = [rule('mirror', [{ ...primary, weight: 100 }, { ...canaryBackend, weight: 0 }], { mirror: { ...canaryBackend, percent: route.mirrorPercent } })];
      break;
  }
  return {
    apiVersion: API_VERSION,
    kind: 'MeshRoute',
    metadata: {
      name: apex,
      namespace: canary.metadata.namespace ?? '',
      labels: { [CANARY_LABEL]: canary.metadata.name },
      annotations: { [ROUTE_KEY_ANNOTATION]: routeKey },
      ownerReferences: [ownerReference(canary) as NonNullable<MeshRoute['metadata']['ownerReferences']>[number]],
    },
    spec: { service: apex, port, rules },
  };
}

export function primaryAutoscalerName(canary: Canary): string | undefined {
  const ref = canary.spec.autoscalerRef;
  return ref ? `${ref.name}-primary` : undefined;
}

/**
 * The primary's own copy of the target's HorizontalPodAutoscaler: same metrics and
 * behaviour, scaling `<target>-primary`, with the replica bounds primaryScalerReplicas sets.
 * The target's autoscaler stays as it is: an HPA leaves a Deployment at zero replicas alone,
 * so it scales the canary only while a rollout runs it.
 */
export function primaryAutoscaler(canary: Canary, source: V2HorizontalPodAutoscaler): V2HorizontalPodAutoscaler {
  const overrides = canary.spec.autoscalerRef?.primaryScalerReplicas;
  const spec = source.spec;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: primaryAutoscalerName(canary) ?? `${source.metadata?.name ?? ''}-primary`,
      namespace: canary.metadata.namespace ?? '',
      labels: { [CANARY_LABEL]: canary.metadata.name },
      ownerReferences: [ownerReference(canary)],
    },
    spec: {
      ...spec,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: primaryName(canary) },
      maxReplicas: overrides?.maxReplicas ?? spec?.maxReplicas ?? 1,
      ...(overrides?.minReplicas !== undefined ? { minReplicas: overrides.minReplicas } : spec?.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
    },
  };
}
