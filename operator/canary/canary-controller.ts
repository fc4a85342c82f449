// The canary controller: the thin shell around the pure state machine. Each reconcile reads
// the Canary and what it owns from informer caches, turns them into observations, answers the
// machine's questions (webhook gates, analysis steps) and carries out its actions: the primary
// Deployment, the Services, the MeshRoute of the current step, the target's scale, Events,
// notifications and the status. All rollout state lives in status, so a restarted operator
// carries on where the last one stopped.
import {
  AutoscalingV2Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ACTION_ANNOTATION, parseActionAnnotation } from '../../crds/action.js';
import { CANARY, type Canary, type CanaryStatus } from '../../crds/canary.js';
import { API_VERSION, GROUP, VERSION } from '../../crds/group.js';
import type { MeshRoute } from '../../crds/meshroute.js';
import type { MetricTemplate } from '../../crds/metric-template.js';
import { canaryProblems } from '../../crds/operator-checks.js';
import { buildChecks, runChecks, toAnalysisResult, type CheckResult, type MetricProvider } from '../../analysis/index.js';
import { canonicalize } from '../canonical-json.js';
import type { KubeWriter } from '../kube-writer.js';
import { watch, type ReconcileContext, type ReconcileRequest, type ReconcileResult } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { describeError, isConflict, isNotFound } from '../runtime/kube-errors.js';
import type { Manager } from '../runtime/manager.js';
import { NAMESPACE_INDEX } from '../runtime/object-store.js';
import { resourceType, Resources } from '../runtime/resource-type.js';
import type { CanaryMetrics } from './canary-metrics.js';
import {
  apexName,
  canaryServices,
  meshRouteFor,
  primaryAutoscaler,
  primaryAutoscalerName,
  primaryDeployment,
  primaryName,
  REVISION_ANNOTATION,
  ROUTE_KEY_ANNOTATION,
} from './canary-objects.js';
import { windowState } from './deployment-window.js';
import { mergePatch } from './status-patch.js';
import { configDataHash, podTemplateHash, referencedConfigs, targetRevision } from './revision.js';
import {
  decide,
  routeKey,
  type AnalysisAnswer,
  type Answers,
  type CanaryAction,
  type CanaryObservations,
  type DeploymentObservation,
  type DesiredRoute,
  type Need,
} from './state-machine.js';

export const CANARY_FINALIZER = 'sluice.dev/canary';

const asObjects = <T>(items: KubernetesObject[]): T[] => items as unknown as T[];
export const CanaryResource = resourceType<KubernetesObject>({ apiVersion: API_VERSION, kind: CANARY.kind, plural: CANARY.plural, namespaced: true });
export const MetricTemplateResource = resourceType<KubernetesObject>({ apiVersion: API_VERSION, kind: 'MetricTemplate', plural: 'metrictemplates', namespaced: true });

/** What the controller needs from the webhook runner (operator/canary/webhooks.ts). */
export interface CanaryWebhooks {
  answer(canary: Canary, needs: readonly Need[], signal?: AbortSignal): Promise<Answers>;
  rollout(canary: Canary, signal?: AbortSignal): Promise<{ name: string; ok: boolean; message: string }[]>;
  postRollout(canary: Canary, signal?: AbortSignal): Promise<unknown>;
  /** `event` hooks, in the background. */
  notify(canary: Canary, event: { eventType: 'Normal' | 'Warning'; message: string }): void;
}

/** What the controller needs from the notifier (operator/notifications). */
export interface CanaryEvents {
  notify(canary: Canary, event: { id?: string; reason: string; severity: 'info' | 'warn' | 'error'; message: string; details?: { image?: string } }): unknown;
}

export interface CanaryControllerOptions {
  manager: Manager;
  writer: KubeWriter;
  /** Provider of the builtin metrics: the proxies' live counters (register.ts); Prometheus serves MetricTemplates only. */
  builtinProvider: MetricProvider;
  providerFor(template: MetricTemplate): MetricProvider;
  webhooks: CanaryWebhooks;
  notifier?: CanaryEvents;
  metrics?: CanaryMetrics;
  now?: () => Date;
}

interface RouteObservation {
  key: string;
  applied: boolean;
  /** status.proxies.desired of the MeshRoute, when it has one. */
  proxiesDesired?: number;
  /** status.proxies.connected, when the MeshRoute has it (an older operator did not write it). */
  proxiesConnected?: number;
}

export class CanaryController {
  private readonly canaries: Informer<KubernetesObject>;
  private readonly deployments: Informer<V1Deployment>;
  private readonly services: Informer<V1Service>;
  private readonly routes: Informer<KubernetesObject>;
  private readonly configMaps: Informer<V1ConfigMap>;
  private readonly secrets: Informer<V1Secret>;
  private readonly templates: Informer<KubernetesObject>;
  /**
   * HPAs are read only for Canaries with an autoscalerRef, by a GET per reconcile: a cluster-
   * wide HPA informer would make every installation grant HPA access (and wait for its sync)
   * for a feature few use. Canonical spec of the last primary copy applied, by Canary uid.
   */
  private readonly autoscaling: AutoscalingV2Api;
  private readonly appliedAutoscalers = new Map<string, string>();
  private readonly log: Logger;
  /** Route key → when this process first saw every proxy apply it (the step's start). */
  private readonly appliedSince = new Map<string, string>();
  /**
   * The last status this process wrote for each Canary (by uid), the resourceVersion that
   * write made, and the resourceVersions older than it (those our decisions started from,
   * and our own earlier writes). Until the informer delivers our last write, the cache holds
   * one of those older versions: deciding from its status would run an analysis or a webhook
   * twice, or roll back twice (two RolledBack events, two alerts, two post-rollout calls).
   */
  private readonly written = new Map<string, { latest: string; older: Set<string>; status: CanaryStatus }>();
  private readonly custom: CustomObjectsApi;

  constructor(private readonly options: CanaryControllerOptions) {
    const { manager } = options;
    this.log = manager.log.child({ controller: 'canary' });
    this.canaries = manager.informer(CanaryResource);
    this.deployments = manager.informer(Resources.Deployment);
    this.services = manager.informer(Resources.Service);
    this.routes = manager.informer(resourceType<KubernetesObject>({ apiVersion: API_VERSION, kind: 'MeshRoute', plural: 'meshroutes', namespaced: true }));
    this.configMaps = manager.informer(Resources.ConfigMap);
    this.secrets = manager.informer(Resources.Secret);
    this.templates = manager.informer(MetricTemplateResource);
    this.autoscaling = manager.kubeConfig.makeApiClient(AutoscalingV2Api);
    this.custom = manager.kubeConfig.makeApiClient(CustomObjectsApi);

    // Every change to something a Canary reads wakes that Canary up: no polling.
    const canariesIn = (namespace: string | undefined): Canary[] => (namespace ? asObjects<Canary>(this.canaries.byIndex(NAMESPACE_INDEX, namespace)) : []);
    const byTarget = (obj: { metadata?: { namespace?: string; name?: string } }): string[] =>
      canariesIn(obj.metadata?.namespace)
        .filter((c) => c.spec.targetRef.name === obj.metadata?.name || primaryName(c) === obj.metadata?.name)
        .map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
    const byRoute = (obj: KubernetesObject): string[] =>
      canariesIn(obj.metadata?.namespace)
        .filter((c) => apexName(c) === obj.metadata?.name)
        .map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
    const byConfig = (kind: 'configmap' | 'secret') => (obj: KubernetesObject): string[] =>
      canariesIn(obj.metadata?.namespace)
        .filter((c) => c.status?.trackedConfigs?.[`${kind}/${obj.metadata?.name ?? ''}`] !== undefined)
        .map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
    manager.addController({
      name: 'canary',
      reconcile: (request, context) => this.reconcile(request, context),
      watches: [
        watch(this.canaries),
        watch(this.deployments, byTarget),
        watch(this.routes, byRoute),
        watch(this.configMaps, byConfig('configmap')),
        watch(this.secrets, byConfig('secret')),
      ],
      concurrency: 4,
    });
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private async reconcile(request: ReconcileRequest, context: ReconcileContext): Promise<ReconcileResult | void> {
    const cached = this.canaries.get(request.namespace, request.name) as unknown as Canary | undefined;
    if (!cached) return;
    const canary = structuredClone(cached);
    const uid = canary.metadata.uid ?? '';
    const written = this.written.get(uid);
    if (written && written.older.has(canary.metadata.resourceVersion ?? '')) canary.status = structuredClone(written.status);
    else this.written.delete(uid);
    const deleting = canary.metadata.deletionTimestamp !== undefined;
    if (!deleting && !(canary.metadata.finalizers ?? []).includes(CANARY_FINALIZER)) {
      await this.options.writer.mergePatch(this.ref(canary), {
        metadata: { finalizers: [...(canary.metadata.finalizers ?? []), CANARY_FINALIZER], resourceVersion: canary.metadata.resourceVersion },
      });
      return;
    }
    if (deleting && !(canary.metadata.finalizers ?? []).includes(CANARY_FINALIZER)) return;

    const problems = canaryProblems(canary.spec);
    if (problems.length > 0 && !deleting) {
      const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      this.options.manager.recorder.warning(cached as unknown as KubernetesObject, 'InvalidSpec', message);
      await this.writeStatus(canary, { ...canary.status, message, observedGeneration: canary.metadata.generation ?? 0 }, context);
      return;
    }

    const namespace = canary.metadata.namespace ?? '';
    const existingRoute = this.routes.get(namespace, apexName(canary));
    if (deleting && canary.status?.phase === 'Terminating' && (!existingRoute || existingRoute.metadata?.deletionTimestamp)) {
      // Traffic was handed over and the route is on its way out: finish the clean-up.
      await this.finalize(canary, context);
      return;
    }
    const target = this.deployments.get(namespace, canary.spec.targetRef.name);
    const primary = this.deployments.get(namespace, primaryName(canary));
    const trackedConfigs: Record<string, string> = {};
    const targetObservation = target ? this.observeTarget(target, trackedConfigs) : undefined;
    const route = this.observeRoute(canary);
    const observed: CanaryObservations = {
      deleting,
      ...(targetObservation ? { target: targetObservation } : {}),
      ...(primary ? { primary: this.observePrimary(primary) } : {}),
      ...(route.applied ? { appliedRoute: { route: parseRouteKey(route.key), since: this.since(canary, route.key) } } : {}),
      ...(route.proxiesDesired === undefined ? {} : { proxiesDesired: route.proxiesDesired }),
      ...(route.proxiesConnected === undefined ? {} : { proxiesConnected: route.proxiesConnected }),
      ...this.manualAction(canary),
      window: windowState(canary.spec.analysis.windows, this.now()),
    };

    // The machine asks, we answer, it decides: at most a few rounds per reconcile.
    let output = decide({ spec: canary.spec, status: canary.status ?? {}, generation: canary.metadata.generation ?? 0, now: this.now(), observed });
    for (let round = 0; output.kind === 'needs' && round < 4; round++) {
      // Hooks asked about a rollout identify the revision being rolled out, also before the
      // status records it (a confirm-rollout gate approves the new revision, not the old one).
      const candidate: Canary = targetObservation
        ? { ...canary, status: { ...canary.status, lastAppliedSpec: targetObservation.revision, ...(Object.keys(trackedConfigs).length > 0 ? { trackedConfigs } : {}) } }
        : canary;
      const answers = await this.answer(candidate, output.needs, route, context);
      observed.answers = { ...observed.answers, ...answers, gates: { ...observed.answers?.gates, ...answers.gates } };
      output = decide({ spec: canary.spec, status: canary.status ?? {}, generation: canary.metadata.generation ?? 0, now: this.now(), observed });
    }
    if (output.kind === 'needs') throw new Error(`the state machine kept asking: ${output.needs.map((n) => n.type).join(', ')}`);

    const status: CanaryStatus = { ...output.status, ...(Object.keys(trackedConfigs).length > 0 ? { trackedConfigs } : {}) };
    if (!deleting && primary) await this.syncPrimaryAutoscaler(canary);
    // Objects first, then the status that records them, then the announcements (Events,
    // notifications, post-rollout hooks): an operator killed in between redoes the
    // idempotent writes but never announces a transition twice, nor one it did not record.
    const announces = (a: CanaryAction): boolean => a.type === 'Event' || a.type === 'CallHooks';
    const announcements = output.actions.filter(announces);
    for (const action of output.actions) if (!announces(action)) await this.perform(canary, target, primary, action, status, context);
    const recorded = await this.writeStatus(canary, status, context);
    if (recorded) for (const action of announcements) await this.perform(canary, target, primary, action, status, context);
    const labels = { name: canary.metadata.name, namespace };
    if (status.phase === 'Terminated') {
      this.options.metrics?.forget(labels);
      this.written.delete(uid);
      this.appliedAutoscalers.delete(uid);
    }
    else this.options.metrics?.observe(labels, canary.status?.phase, status.phase, status.canaryWeight ?? 0, status.rollout?.startedAt, this.now());
    return output.requeueAfterMs !== undefined ? { requeueAfterMs: output.requeueAfterMs } : undefined;
  }

  private observeTarget(target: V1Deployment, trackedConfigs: Record<string, string>): DeploymentObservation {
    const template = target.spec?.template ?? {};
    const namespace = target.metadata?.namespace ?? '';
    for (const ref of referencedConfigs(template)) {
      const source = ref.kind === 'configmap' ? this.configMaps.get(namespace, ref.name) : this.secrets.get(namespace, ref.name);
      if (source) trackedConfigs[`${ref.kind}/${ref.name}`] = configDataHash(source);
    }
    return deploymentObservation(target, targetRevision(podTemplateHash(template), trackedConfigs));
  }

  private observePrimary(primary: V1Deployment): DeploymentObservation {
    return deploymentObservation(primary, primary.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
  }

  private observeRoute(canary: Canary): RouteObservation {
    const route = this.routes.get(canary.metadata.namespace ?? '', apexName(canary)) as unknown as MeshRoute | undefined;
    if (!route) return { key: '', applied: false };
    const key = route.metadata.annotations?.[ROUTE_KEY_ANNOTATION] ?? '';
    const programmed = route.status?.conditions?.find((c) => c.type === 'Programmed');
    const applied = programmed?.status === 'True' && route.status?.observedGeneration === route.metadata.generation;
    const desired = route.status?.proxies?.desired;
    const connected = route.status?.proxies?.connected;
    return { key, applied, ...(desired === undefined ? {} : { proxiesDesired: desired }), ...(connected === undefined ? {} : { proxiesConnected: connected }) };
  }

  /** When every proxy was first seen to run `key` for this Canary (this process's view). */
  private since(canary: Canary, key: string): string {
    const id = `${canary.metadata.uid ?? ''}/${key}`;
    let at = this.appliedSince.get(id);
    if (!at) {
      at = this.now().toISOString();
      this.appliedSince.set(id, at);
      // Keep the map small: only the latest key per Canary matters.
      for (const other of this.appliedSince.keys()) if (other.startsWith(`${canary.metadata.uid ?? ''}/`) && other !== id) this.appliedSince.delete(other);
    }
    return at;
  }

  private manualAction(canary: Canary): Pick<CanaryObservations, 'manualAction'> {
    const value = canary.metadata.annotations?.[ACTION_ANNOTATION];
    if (!value) return {};
    const parsed = parseActionAnnotation(value);
    if (!parsed.ok) {
      this.options.manager.recorder.warning(canary as unknown as KubernetesObject, 'InvalidAction', parsed.error);
      return {};
    }
    return { manualAction: parsed.request };
  }

  private async answer(canary: Canary, needs: readonly Need[], route: RouteObservation, context: ReconcileContext): Promise<Answers> {
    const answers = await this.options.webhooks.answer(canary, needs.filter((n) => n.type !== 'analysis'), context.signal);
    const analysis = needs.find((n) => n.type === 'analysis');
    if (analysis && analysis.type === 'analysis') answers.analysis = await this.analyse(canary, analysis, route, context);
    return answers;
  }

  private async analyse(canary: Canary, need: Extract<Need, { type: 'analysis' }>, _route: RouteObservation, context: ReconcileContext): Promise<AnalysisAnswer> {
    const checks = buildChecks(
      { canary, stepStartedAt: Date.parse(need.windowStart), mirrored: need.mirrored === true },
      {
        builtin: this.options.builtinProvider,
        template: (ref) => this.templates.get(ref.namespace, ref.name) as unknown as MetricTemplate | undefined,
        providerFor: (template) => this.options.providerFor(template),
      },
    );
    const selected = need.early ? checks.filter((c) => c.continuous) : checks;
    const outcome = await runChecks(selected, { deadlineMs: 10_000, signal: context.signal, logger: context.log });
    const results: CheckResult[] = [...outcome.results];
    if (!need.early) {
      for (const hook of await this.options.webhooks.rollout(canary, context.signal)) {
        results.push({ metric: hook.name, verdict: hook.ok ? 'pass' : 'fail', values: {}, reason: hook.message });
      }
    }
    const failed = results.filter((r) => r.verdict === 'fail' || r.verdict === 'error');
    const inconclusive = results.filter((r) => r.verdict === 'inconclusive');
    const verdict = failed.length > 0 ? 'fail' : inconclusive.length > 0 ? 'inconclusive' : 'pass';
    this.options.metrics?.analyses.inc({ verdict });
    const now = this.now();
    const thresholds = new Map((canary.spec.analysis.metrics ?? []).map((m) => [m.name, m.thresholdRange]));
    return {
      verdict,
      // A failure the sequential test found on live counters is conclusive on its own.
      conclusive: need.early && failed.length > 0,
      results: results.map((r) => toAnalysisResult(r, now, thresholds.get(r.metric))),
      summary: failed.length > 0 ? failed.map((r) => r.reason).join('; ') : inconclusive.length > 0 ? inconclusive.map((r) => r.reason).join('; ') : outcome.reason,
    };
  }

  private async perform(canary: Canary, target: V1Deployment | undefined, primary: V1Deployment | undefined, action: CanaryAction, status: CanaryStatus, context: ReconcileContext): Promise<void> {
    const writer = this.options.writer;
    const namespace = canary.metadata.namespace ?? '';
    switch (action.type) {
      case 'EnsureServices': {
        if (!target) return;
        const apexExists = this.services.get(namespace, apexName(canary)) !== undefined;
        for (const service of canaryServices(canary, target, apexExists)) await writer.apply(service);
        return;
      }
      case 'EnsurePrimary':
        if (!target || primary) return;
        await writer.apply(primaryDeployment(canary, target, status.lastAppliedSpec ?? this.revisionOf(target), action.replicas));
        return;
      case 'PromotePrimary': {
        if (!target) return;
        const revision = this.revisionOf(target);
        if (primary?.metadata?.annotations?.[REVISION_ANNOTATION] === revision && primary.spec?.replicas === action.replicas) return;
        await writer.apply(primaryDeployment(canary, target, revision, action.replicas));
        return;
      }
      case 'ScaleTarget':
        if (!target || (target.spec?.replicas ?? 1) === action.replicas) return;
        await writer.mergePatch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: canary.spec.targetRef.name, namespace } }, { spec: { replicas: action.replicas } });
        return;
      case 'SetRoute': {
        const key = routeKey(action.route);
        const existing = this.routes.get(namespace, apexName(canary)) as unknown as MeshRoute | undefined;
        if (existing?.metadata.annotations?.[ROUTE_KEY_ANNOTATION] === key) return;
        // Once deletion has taken the route away, applying it again would bring it back.
        if (canary.metadata.deletionTimestamp && (!existing || existing.metadata.deletionTimestamp)) return;
        await writer.apply(meshRouteFor(canary, action.route, key) as unknown as KubernetesObject);
        return;
      }
      case 'CallHooks':
        // The hooks hear the outcome, so they get the status this reconcile writes.
        void this.options.webhooks.postRollout({ ...canary, status }).catch((err: unknown) => context.log.warn({ reason: describeError(err) }, 'post-rollout webhooks failed'));
        return;
      case 'Event': {
        const obj = canary as unknown as KubernetesObject;
        if (action.eventType === 'Normal') this.options.manager.recorder.normal(obj, action.reason, action.message);
        else this.options.manager.recorder.warning(obj, action.reason, action.message);
        this.options.webhooks.notify({ ...canary, status }, { eventType: action.eventType, message: `${action.reason}: ${action.message}` });
        if (action.alert) {
          const image = (target?.spec?.template.spec?.containers ?? []).map((c) => c.image ?? '').filter((i) => i !== '').join(', ');
          // The same transition gets the same id, so that receivers can drop a duplicate.
          const id = [canary.metadata.uid ?? '', status.lastAppliedSpec ?? '', status.rollout?.startedAt ?? '', action.reason, status.failedChecks ?? 0].join('/');
          this.options.notifier?.notify({ ...canary, status }, { id, reason: action.reason, severity: action.alert, message: action.message, ...(image ? { details: { image } } : {}) });
        }
        return;
      }
      case 'Finalize':
        await this.finalize(canary, context);
        return;
    }
  }

  /** The primary's copy of the target's HPA (autoscalerRef), kept in line with it. */
  private async syncPrimaryAutoscaler(canary: Canary): Promise<void> {
    const ref = canary.spec.autoscalerRef;
    const namespace = canary.metadata.namespace ?? '';
    if (!ref) return;
    let source;
    try {
      source = await this.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: ref.name, namespace });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const desired = primaryAutoscaler(canary, source);
    const key = JSON.stringify(canonicalize(desired));
    const uid = canary.metadata.uid ?? '';
    if (this.appliedAutoscalers.get(uid) === key) return;
    await this.options.writer.apply(desired as KubernetesObject);
    this.appliedAutoscalers.set(uid, key);
  }

  private revisionOf(target: V1Deployment): string {
    const tracked: Record<string, string> = {};
    return this.observeTarget(target, tracked).revision;
  }

  /** Deletion: the route goes (its finalizer gives the apex back), then what we created, then our finalizer. */
  private async finalize(canary: Canary, context: ReconcileContext): Promise<void> {
    const namespace = canary.metadata.namespace ?? '';
    const apex = apexName(canary);
    const writer = this.options.writer;
    await writer.delete({ apiVersion: API_VERSION, kind: 'MeshRoute', metadata: { name: apex, namespace } });
    if (this.routes.get(namespace, apex)) {
      context.log.info('waiting for the MeshRoute to release the apex Service');
      return;
    }
    if (canary.spec.revertOnDeletion) await this.disownApex(canary);
    const autoscaler = primaryAutoscalerName(canary);
    if (autoscaler) await writer.delete({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: autoscaler, namespace } });
    await writer.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: primaryName(canary), namespace } });
    for (const name of [`${apex}-primary`, `${apex}-canary`]) await writer.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } });
    try {
      await writer.mergePatch(this.ref(canary), {
        metadata: { finalizers: (canary.metadata.finalizers ?? []).filter((f) => f !== CANARY_FINALIZER), resourceVersion: canary.metadata.resourceVersion },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * An apex Service Sluice created is owned by the Canary; once the Canary is gone the garbage
   * collector would delete it (about 20 s later here), and with it the service the traffic was
   * just handed back to. It stays, as the user's own.
   */
  private async disownApex(canary: Canary): Promise<void> {
    const namespace = canary.metadata.namespace ?? '';
    const apex = this.services.get(namespace, apexName(canary));
    const owners = apex?.metadata?.ownerReferences ?? [];
    const others = owners.filter((o) => o.uid !== canary.metadata.uid);
    if (!apex || others.length === owners.length) return;
    await this.options.writer.mergePatch(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: apexName(canary), namespace } },
      { metadata: { ownerReferences: others.length > 0 ? others : null, resourceVersion: apex.metadata?.resourceVersion } },
    );
  }

  /** Writes the status if it changed; false when a conflict kept it from being recorded. */
  private async writeStatus(canary: Canary, status: CanaryStatus, context: ReconcileContext): Promise<boolean> {
    if (JSON.stringify(canonicalize(canary.status ?? {})) === JSON.stringify(canonicalize(status))) return true;
    const patch = mergePatch(canary.status ?? {}, status);
    if (patch === undefined) return true;
    try {
      const updated = (await this.custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: CANARY.plural, namespace: canary.metadata.namespace ?? '', name: canary.metadata.name, body: { status: patch }, fieldManager: 'sluice-canary' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )) as { metadata?: { resourceVersion?: string } };
      const uid = canary.metadata.uid ?? '';
      const previous = this.written.get(uid);
      const older = previous?.older ?? new Set<string>();
      older.add(canary.metadata.resourceVersion ?? '');
      if (previous) older.add(previous.latest);
      this.written.set(uid, { latest: updated.metadata?.resourceVersion ?? '', older, status: structuredClone(status) });
      return true;
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
      context.log.debug({ reason: describeError(err) }, 'status write skipped');
      // Gone (deletion finished): what it did still happened and is worth telling.
      return isNotFound(err);
    }
  }

  private ref(canary: Canary): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
    return { apiVersion: API_VERSION, kind: CANARY.kind, metadata: { name: canary.metadata.name, namespace: canary.metadata.namespace ?? '' } };
  }
}

export function deploymentObservation(deployment: V1Deployment, revision: string): DeploymentObservation {
  const replicas = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  const rolledOut =
    (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (status?.updatedReplicas ?? 0) >= replicas &&
    (status?.replicas ?? 0) <= replicas;
  return { revision, replicas, readyReplicas: status?.readyReplicas ?? 0, rolledOut };
}

/** Inverse of routeKey(). */
export function parseRouteKey(key: string): DesiredRoute {
  const [kind, value] = key.split(':');
  switch (kind) {
    case 'weighted':
      return { kind: 'weighted', canaryWeight: Number(value) };
    case 'mirror':
      return { kind: 'mirror', mirrorPercent: Number(value) };
    case 'ab':
    case 'canary':
    case 'primary':
      return { kind };
    default:
      return { kind: 'primary' };
  }
}
