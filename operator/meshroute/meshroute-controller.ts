// The MeshRoute controller: per namespace, turns MeshRoutes, Services and EndpointSlices into
// one proxy snapshot, publishes it to the config server, runs the namespace's waypoint, points
// each accepted route's apex Service at it once the waypoint serves the route (see
// takeover-readiness.ts), and reports in every route's status how far the data plane has
// caught up. Reconciles a whole namespace at a time (key: the namespace name),
// because the snapshot is per namespace; the decisions are in pure functions next door.
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, GROUP, VERSION } from '../../crds/group.js';
import { MESH_ROUTE, type MeshRoute } from '../../crds/meshroute.js';
import type { AddressMapping } from '../address-map.js';
import type { ConfigServer } from '../config-server/config-server.js';
import { KubeWriter } from '../kube-writer.js';
import { watch, type ReconcileContext, type ReconcileRequest, type ReconcileResult, type WatchSource } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { describeError, isConflict, isNotFound } from '../runtime/kube-errors.js';
import type { Manager } from '../runtime/manager.js';
import { NAMESPACE_INDEX } from '../runtime/object-store.js';
import { resourceType, Resources, SERVICE_NAME_LABEL } from '../runtime/resource-type.js';
import { releasePatch, routesThroughListener, takeoverPatch } from './apex-service.js';
import { PublishedListeners } from './published-listeners.js';
import { routeStatus, statusChanged, type DataPlaneState } from './route-status.js';
import { buildNamespaceSnapshot, type RouteOutcome } from './snapshot-builder.js';
import { endpointsOf, takeoverReadiness, type TakeoverReadiness } from './takeover-readiness.js';
import { waypointCaConfigMap, CA_BUNDLE_KEY, type CaBundleSource } from './waypoint-ca.js';
import {
  WAYPOINT_LABELS,
  WAYPOINT_NAME,
  WAYPOINT_SELECTOR,
  waypointDeployment,
  waypointService,
  waypointServiceAccount,
  type WaypointSettings,
} from './waypoint.js';

export const MESH_ROUTE_FINALIZER = 'sluice.dev/meshroute';
/**
 * How soon a route waiting to take its Service over is looked at again without an event.
 * ACKs and EndpointSlice changes are what end the wait; this covers an event missed.
 */
const TAKEOVER_RECHECK_MS = 2_000;
const NOTHING_TO_WAIT_FOR: TakeoverReadiness = { ready: true };
// The cache holds objects exactly as the API server sent them (timestamps are strings), which
// is what the MeshRoute type says; client-node's KubernetesObject claims Date objects.
export const MeshRouteResource = resourceType<KubernetesObject>({
  apiVersion: API_VERSION,
  kind: MESH_ROUTE.kind,
  plural: MESH_ROUTE.plural,
  namespaced: true,
});

export interface MeshRouteControllerOptions {
  manager: Manager;
  configServer: ConfigServer;
  /**
   * How long a deleted route keeps its listener after its apex Service was given back, so
   * that clients still sending to the waypoint (kube-proxy catching up) are served. Default 5 s.
   */
  drainMs?: number;
  /** How to run waypoints; absent: proxies are run by someone else (local use, tests). */
  waypoint?: WaypointSettings;
  /**
   * The config server's CA, applied as `waypoint.configServerCaConfigMap` into every namespace
   * with a waypoint (and removed with it); absent: that ConfigMap is someone else's to provide.
   */
  caBundle?: CaBundleSource;
  addressMappings?: readonly AddressMapping[];
}

/** Backends and apex Services named by the routes of a namespace. */
function referencedServices(routes: readonly MeshRoute[]): Set<string> {
  const names = new Set<string>();
  for (const route of routes) {
    names.add(route.spec.service);
    for (const rule of route.spec.rules) {
      for (const b of rule.backends ?? []) names.add(b.service);
      if (rule.mirror) names.add(rule.mirror.service);
    }
  }
  return names;
}

export class MeshRouteController {
  private readonly routeCache: Informer<KubernetesObject>;
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<V1EndpointSlice>;
  private readonly waypoints: Informer<V1Deployment>;
  /** The CA ConfigMaps this controller applies, to notice one deleted or changed behind its back. */
  private readonly waypointCas: Informer<V1ConfigMap> | undefined;
  private readonly writer: KubeWriter;
  private readonly log: Logger;
  /** Namespace → hash of the waypoint objects last applied, to apply only on change. */
  private readonly appliedWaypoints = new Map<string, string>();
  /** Deleted route (uid) → when its apex Service was given back; its listener drains until then + drainMs. */
  private readonly releasedAt = new Map<string, number>();
  /** The listeners of every version published lately, to tell which proxies serve a route. */
  private readonly published = new PublishedListeners();

  constructor(private readonly options: MeshRouteControllerOptions) {
    const { manager } = options;
    this.log = manager.log.child({ controller: 'meshroute' });
    // Its own field manager: the canary controller applies MeshRoutes with server-side apply,
    // and under a shared manager that apply would drop the finalizer this controller adds.
    this.writer = new KubeWriter(manager.kubeConfig, 'sluice-meshroute');
    this.routeCache = manager.informer(MeshRouteResource);
    this.services = manager.informer(Resources.Service);
    this.slices = manager.informer(Resources.EndpointSlice);
    this.waypoints = manager.informer(Resources.Deployment, { labelSelector: `app.kubernetes.io/name=${WAYPOINT_NAME}` });
    const caBundle = options.waypoint?.configServerCaConfigMap ? options.caBundle : undefined;
    this.waypointCas = caBundle ? manager.informer(Resources.ConfigMap, { labelSelector: `app.kubernetes.io/name=${WAYPOINT_NAME}` }) : undefined;

    const namespaceOf = (obj: { metadata?: { namespace?: string } }): string[] => (obj.metadata?.namespace ? [obj.metadata.namespace] : []);
    // Services and slices matter only to namespaces whose routes name them.
    const ifReferenced = (serviceName: string | undefined, namespace: string | undefined): string[] => {
      if (!serviceName || !namespace) return [];
      const routes = this.routesIn(namespace);
      return routes.length > 0 && referencedServices(routes).has(serviceName) ? [namespace] : [];
    };
    const appliedChanges: WatchSource = {
      description: 'config server acknowledgements',
      subscribe: (enqueue) => options.configServer.onAppliedChange((state) => enqueue(state.namespace)),
    };
    manager.addController({
      name: 'meshroute',
      reconcile: (request, context) => this.reconcile(request, context),
      watches: [
        watch(this.routeCache, namespaceOf),
        watch(this.services, (s) => ifReferenced(s.metadata?.name, s.metadata?.namespace)),
        watch(this.slices, (s) => {
          const service = s.metadata?.labels?.[SERVICE_NAME_LABEL];
          const namespace = s.metadata?.namespace;
          // The waypoint's own endpoints: a pod turning ready may end a takeover's wait.
          if (options.waypoint && service === WAYPOINT_NAME && namespace) return this.routesIn(namespace).length > 0 ? [namespace] : [];
          return ifReferenced(service, namespace);
        }),
        watch(this.waypoints, namespaceOf),
        appliedChanges,
        ...(this.waypointCas && caBundle
          ? [
              watch(this.waypointCas, namespaceOf),
              {
                description: 'waypoint CA bundle changes',
                subscribe: (enqueue: (key: string) => void) =>
                  caBundle.changes().subscribe(() => {
                    for (const waypoint of this.waypoints.list()) if (waypoint.metadata?.namespace) enqueue(waypoint.metadata.namespace);
                  }),
              },
            ]
          : []),
      ],
      concurrency: 4,
    });
  }

  private async reconcile(request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult | void> {
    // Keys are namespace names (cluster-scoped form: the name alone).
    const namespace = request.name;
    const all = this.routesIn(namespace);
    const live = all.filter((r) => !r.metadata.deletionTimestamp);
    const deleting = all.filter((r) => r.metadata.deletionTimestamp);
    const draining = deleting.filter((r) => (r.metadata.finalizers ?? []).includes(MESH_ROUTE_FINALIZER));
    const services = this.services.byIndex(NAMESPACE_INDEX, namespace);
    const built = buildNamespaceSnapshot({
      namespace,
      // A deleted route keeps serving until it has drained (see release()).
      routes: [...live, ...draining],
      services,
      endpointSlices: this.slices.byIndex(NAMESPACE_INDEX, namespace),
      addressMappings: this.options.addressMappings ?? [],
    });
    const version = built.contentHash;
    if (all.length > 0) this.published.record(namespace, version, built.snapshot.listeners);
    else this.published.forget(namespace);
    this.options.configServer.publish(namespace, version, { version, ...built.snapshot });

    if (this.options.waypoint) await this.ensureWaypoint(namespace, live.length > 0, context);

    const servicesByName = new Map(services.map((s) => [s.metadata?.name ?? '', s]));
    const dataPlane = this.dataPlaneState(namespace, version);
    const now = new Date().toISOString();
    let takeoverPending = false;
    for (const route of live) {
      const outcome = built.outcomes.get(route.metadata.name);
      if (!outcome) continue;
      await this.ensureFinalizer(route);
      const takeover = await this.syncApex(route, outcome, servicesByName.get(route.spec.service), context);
      if (!takeover.ready) takeoverPending = true;
      await this.writeStatus(route, outcome, dataPlane, takeover, now, context);
    }
    // The soonest something here must be looked at again: a drain ending, or a takeover's wait.
    let recheckIn: number | undefined;
    for (const route of deleting) {
      const wait = await this.release(route, servicesByName.get(route.spec.service), context);
      if (wait !== undefined) recheckIn = Math.min(recheckIn ?? wait, wait);
    }
    if (takeoverPending) recheckIn = Math.min(recheckIn ?? TAKEOVER_RECHECK_MS, TAKEOVER_RECHECK_MS);
    if (recheckIn !== undefined) return { requeueAfterMs: recheckIn };
    // Programmed waits on acknowledgements, which arrive as config-server events; the
    // requeue only covers a proxy that neither ACKs nor disconnects.
    if (live.length > 0 && dataPlane.applied < dataPlane.desired) return { requeueAfterMs: 5_000 };
  }

  private routesIn(namespace: string): MeshRoute[] {
    return this.routeCache.byIndex(NAMESPACE_INDEX, namespace) as unknown as MeshRoute[];
  }

  private dataPlaneState(namespace: string, version: string): DataPlaneState {
    const applied = this.options.configServer.appliedBy(namespace);
    const waypoint = this.waypoints.get(namespace, WAYPOINT_NAME);
    const desired = this.options.waypoint ? (waypoint?.spec?.replicas ?? this.options.waypoint.replicas) : applied.connected;
    const nack = applied.proxies.find((p) => p.nack?.version === version)?.nack?.error;
    return {
      version,
      desired,
      connected: applied.connected,
      applied: applied.version === version ? applied.applied : 0,
      ...(nack === undefined ? {} : { nack }),
    };
  }

  private async ensureWaypoint(namespace: string, wanted: boolean, context: ReconcileContext): Promise<void> {
    const settings = this.options.waypoint;
    if (!settings) return;
    const caName = settings.configServerCaConfigMap;
    const ca = this.options.caBundle && caName ? waypointCaConfigMap(namespace, caName, this.options.caBundle.current(), WAYPOINT_LABELS) : undefined;
    // The CA before the Deployment, so that its pods find what they mount.
    const objects = [waypointServiceAccount(namespace), waypointService(namespace), ...(ca ? [ca] : []), waypointDeployment(namespace, settings)];
    if (!wanted) {
      const caLeft = ca !== undefined && this.waypointCas?.get(namespace, ca.metadata?.name ?? '') !== undefined;
      if (!this.waypoints.get(namespace, WAYPOINT_NAME) && !caLeft) return;
      // The Deployment first (its pods use the rest), the CA last: while it is left, a failed
      // removal is noticed and retried.
      const order = [...objects.filter((o) => o !== ca).reverse(), ...(ca ? [ca] : [])];
      for (const obj of order) {
        await this.writer.delete({ apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? '', metadata: { name: obj.metadata?.name ?? WAYPOINT_NAME, namespace } });
      }
      this.appliedWaypoints.delete(namespace);
      context.log.info({ namespace }, 'no MeshRoutes left: waypoint removed');
      return;
    }
    const hash = JSON.stringify(objects);
    const exists = this.waypoints.get(namespace, WAYPOINT_NAME) !== undefined;
    const caInPlace = !ca || this.waypointCas?.get(namespace, ca.metadata?.name ?? '')?.data?.[CA_BUNDLE_KEY] === ca.data?.[CA_BUNDLE_KEY];
    if (exists && caInPlace && this.appliedWaypoints.get(namespace) === hash) return;
    for (const obj of objects) await this.writer.apply(obj);
    this.appliedWaypoints.set(namespace, hash);
    context.log.info({ namespace, replicas: settings.replicas }, 'waypoint applied');
  }

  private async ensureFinalizer(route: MeshRoute): Promise<void> {
    const finalizers = route.metadata.finalizers ?? [];
    if (finalizers.includes(MESH_ROUTE_FINALIZER)) return;
    await this.writer.mergePatch(this.ref(route), {
      metadata: { finalizers: [...finalizers, MESH_ROUTE_FINALIZER], resourceVersion: route.metadata.resourceVersion },
    });
  }

  /** Points the apex at the waypoint once the data plane serves the route; says what it waits for, if anything. */
  private async syncApex(route: MeshRoute, outcome: RouteOutcome, apex: V1Service | undefined, context: ReconcileContext): Promise<TakeoverReadiness> {
    if (!apex) return NOTHING_TO_WAIT_FOR;
    if (outcome.accepted) {
      const patch = takeoverPatch({
        service: apex,
        routeName: route.metadata.name,
        port: route.spec.port,
        listenerPort: outcome.listenerPort,
        waypointSelector: WAYPOINT_SELECTOR,
      });
      if (!patch) return NOTHING_TO_WAIT_FOR;
      if (!routesThroughListener(apex, route.spec.port, outcome.listenerPort, WAYPOINT_SELECTOR)) {
        const readiness = this.takeoverReadiness(route, outcome);
        if (!readiness.ready) {
          context.log.debug({ service: route.spec.service, reason: readiness.message }, 'apex Service not taken over yet');
          return readiness;
        }
      }
      await this.writer.mergePatch(serviceRef(apex), patch as unknown as Record<string, unknown>);
      context.log.info({ service: route.spec.service, listenerPort: outcome.listenerPort }, 'apex Service points at the waypoint');
      this.options.manager.recorder.normal(asObject(route), 'ServiceTakenOver', `Service ${route.spec.service} port ${route.spec.port} now goes through the waypoint (listener ${outcome.listenerPort})`);
    } else if (apex.metadata?.annotations?.['sluice.dev/routed-by'] === route.metadata.name) {
      // A route that stopped being usable gives its Service back rather than black-holing it.
      await this.restoreApex(route, apex, context);
    }
    return NOTHING_TO_WAIT_FOR;
  }

  private takeoverReadiness(route: MeshRoute, outcome: Extract<RouteOutcome, { accepted: true }>): TakeoverReadiness {
    const namespace = route.metadata.namespace ?? '';
    const waypointSlices = this.options.waypoint
      ? this.slices.byIndex(NAMESPACE_INDEX, namespace).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === WAYPOINT_NAME)
      : undefined;
    return takeoverReadiness({
      service: route.spec.service,
      listener: { name: outcome.listenerName, port: outcome.listenerPort },
      listenersByVersion: this.published.of(namespace),
      proxies: this.options.configServer.proxies(namespace).map((p) => ({ proxyId: p.proxyId, ackedVersion: p.ackedVersion })),
      waypointEndpoints: waypointSlices ? endpointsOf(waypointSlices) : undefined,
    });
  }

  private async restoreApex(route: MeshRoute, apex: V1Service, context: ReconcileContext): Promise<void> {
    if (apex.metadata?.annotations?.['sluice.dev/routed-by'] !== route.metadata.name) return;
    const patch = releasePatch(apex);
    if (!patch) return;
    await this.writer.mergePatch(serviceRef(apex), patch as unknown as Record<string, unknown>);
    context.log.info({ service: route.spec.service }, 'apex Service given back');
    this.options.manager.recorder.normal(asObject(route), 'ServiceReleased', `Service ${route.spec.service} routes to its own pods again`);
  }

  /** Gives the apex back, lets the listener drain, then lets the route go. Returns how long to wait, if draining. */
  private async release(route: MeshRoute, apex: V1Service | undefined, context: ReconcileContext): Promise<number | undefined> {
    if (!(route.metadata.finalizers ?? []).includes(MESH_ROUTE_FINALIZER)) return undefined;
    if (apex) await this.restoreApex(route, apex, context);
    const uid = route.metadata.uid ?? `${route.metadata.namespace}/${route.metadata.name}`;
    const released = this.releasedAt.get(uid) ?? Date.now();
    this.releasedAt.set(uid, released);
    const remaining = released + (this.options.drainMs ?? 5_000) - Date.now();
    if (remaining > 0) return remaining;
    this.releasedAt.delete(uid);
    try {
      await this.writer.mergePatch(this.ref(route), {
        metadata: {
          finalizers: (route.metadata.finalizers ?? []).filter((f) => f !== MESH_ROUTE_FINALIZER),
          resourceVersion: route.metadata.resourceVersion,
        },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return undefined;
  }

  private async writeStatus(
    route: MeshRoute,
    outcome: RouteOutcome,
    dataPlane: DataPlaneState,
    takeover: TakeoverReadiness,
    now: string,
    context: ReconcileContext,
  ): Promise<void> {
    const status = routeStatus(route, outcome, dataPlane, takeover, now);
    if (!statusChanged(route.status, status)) return;
    const wasAccepted = route.status?.conditions?.find((c) => c.type === 'Accepted');
    if (!outcome.accepted && (wasAccepted?.status !== 'False' || wasAccepted.reason !== outcome.reason || wasAccepted.message !== outcome.message)) {
      this.options.manager.recorder.warning(asObject(route), outcome.reason, outcome.message);
    }
    if (outcome.accepted && wasAccepted?.status === 'False') {
      this.options.manager.recorder.normal(asObject(route), 'Accepted', `accepted on waypoint listener port ${outcome.listenerPort}`);
    }
    try {
      await this.writer.patchStatus(
        { group: GROUP, version: VERSION, plural: MESH_ROUTE.plural, namespace: route.metadata.namespace ?? '', name: route.metadata.name },
        status,
      );
    } catch (err) {
      // The route changed or went away meanwhile: its own event reconciles again.
      if (isConflict(err) || isNotFound(err)) context.log.debug({ reason: describeError(err) }, 'status write skipped');
      else throw err;
    }
  }

  private ref(route: MeshRoute): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
    return { apiVersion: API_VERSION, kind: MESH_ROUTE.kind, metadata: { name: route.metadata.name, namespace: route.metadata.namespace ?? '' } };
  }
}

function asObject(route: MeshRoute): KubernetesObject {
  return route as unknown as KubernetesObject;
}

function serviceRef(service: V1Service): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: service.metadata?.name ?? '', namespace: service.metadata?.namespace ?? '' } };
}

export { WAYPOINT_LABELS };
