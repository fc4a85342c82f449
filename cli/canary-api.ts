// The CLI's only conversation with the API server: reading canaries and their Events,
// requesting a manual action, and watching. Every failure leaves here as a CliError that
// says what went wrong in the user's terms (explain-error.ts).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ACTION_ANNOTATION, CANARY, type Canary, formatActionAnnotation, type ManualActionName } from '../crds/index.js';
import { Informer } from '../operator/runtime/informer.js';
import { getJson } from '../operator/runtime/kube-http.js';
import { Resources, resourceType } from '../operator/runtime/resource-type.js';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { type EventView, toEventView } from './event-view.js';
import { explainKubeError, type Operation } from './explain-error.js';
import type { KubeTarget } from './kubeconfig.js';

/** The field manager our patches are recorded under, so `managedFields` says who asked. */
export const FIELD_MANAGER = 'kubectl-sluice';

const canaryResource = resourceType<KubernetesObject>({
  apiVersion: CANARY.apiVersion,
  kind: CANARY.kind,
  plural: CANARY.plural,
  namespaced: true,
});

const canariesPath = (namespace: string | undefined): string =>
  namespace === undefined ? `/apis/${CANARY.group}/${CANARY.version}/${CANARY.plural}` : `/apis/${CANARY.group}/${CANARY.version}/namespaces/${encodeURIComponent(namespace)}/${CANARY.plural}`;

interface ListResponse {
  items?: unknown[];
  metadata?: { continue?: string };
}

/** Watched objects are plain JSON the API server validated against the Canary schema. */
function asCanary(obj: KubernetesObject): Canary {
  return obj as unknown as Canary;
}

function withKind(raw: unknown): Canary {
  // List items carry no apiVersion/kind; -o yaml should show them like `kubectl get` does.
  return { ...(raw as Canary), apiVersion: CANARY.apiVersion, kind: 'Canary' };
}

export interface WatchHandlers<T> {
  onChange(obj: T): void;
  onDelete?(): void;
}

export interface Watching {
  stop(): Promise<void>;
  /** The watch's last error while it retries, if it is failing right now. */
  lastError(): string | undefined;
}

export class CanaryApi {
  constructor(
    private readonly target: KubeTarget,
    private readonly log: Logger,
  ) {}

  private op(verb: Operation['verb'], namespace: string | undefined, name?: string): Operation {
    return { verb, resource: CANARY.plural, group: CANARY.group, singular: CANARY.singular, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }) };
  }

  private explain(err: unknown, op: Operation): Error {
    return explainKubeError(err, op, { server: this.target.server, context: this.target.context });
  }

  async get(namespace: string, name: string): Promise<Canary> {
    try {
      return withKind(await getJson(this.target.kubeConfig, `${canariesPath(namespace)}/${encodeURIComponent(name)}`));
    } catch (err) {
      throw this.explain(err, this.op('get', namespace, name));
    }
  }

  /** Every canary of a namespace, or of all namespaces (`namespace` undefined). */
  async list(namespace: string | undefined): Promise<Canary[]> {
    const items: Canary[] = [];
    let continueToken: string | undefined;
    try {
      do {
        const page = (await getJson(this.target.kubeConfig, canariesPath(namespace), { query: { limit: 500, continue: continueToken } })) as ListResponse;
        items.push(...(page.items ?? []).map(withKind));
        continueToken = page.metadata?.continue || undefined;
      } while (continueToken !== undefined);
    } catch (err) {
      throw this.explain(err, this.op('list', namespace));
    }
    return items;
  }

  /** Events about the canary. Reading Events is a courtesy: without permission, there are none. */
  async events(canary: Canary): Promise<{ events: EventView[]; error?: string }> {
    const namespace = canary.metadata.namespace ?? this.target.namespace;
    try {
      const list = (await getJson(this.target.kubeConfig, `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
        query: { fieldSelector: eventSelector(canary) },
      })) as ListResponse;
      return { events: (list.items ?? []).filter((e) => aboutThisCanary(e, canary)).map(toEventView) };
    } catch (err) {
      const explained = explainKubeError(err, { verb: 'list', resource: 'events', group: '', singular: 'event', namespace }, this.target);
      return { events: [], error: explained.message };
    }
  }

  /** Sets sluice.dev/action by JSON merge patch: only that annotation changes, never the spec. */
  async requestAction(namespace: string, name: string, action: ManualActionName, nonce: string): Promise<void> {
    const body = { metadata: { annotations: { [ACTION_ANNOTATION]: formatActionAnnotation({ action, nonce }) } } };
    try {
      await this.target.kubeConfig.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
        { group: CANARY.group, version: CANARY.version, plural: CANARY.plural, namespace, name, body, fieldManager: FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw this.explain(err, this.op('patch', namespace, name));
    }
  }

  /** Watches one canary: a list+watch of that name, resumed after every server-side timeout. */
  watchCanary(namespace: string, name: string, handlers: WatchHandlers<Canary>): Watching {
    const informer = new Informer(this.target.kubeConfig, {
      resource: canaryResource,
      namespace,
      fieldSelector: `metadata.name=${name}`,
      resyncPeriodMs: 0,
      log: this.log,
    });
    informer.addHandler({
      onAdd: (obj) => handlers.onChange(asCanary(obj)),
      onUpdate: (_old, obj) => handlers.onChange(asCanary(obj)),
      onDelete: () => handlers.onDelete?.(),
    });
    informer.start();
    // The caller read the canary before the watch began; if it was deleted in between, the
    // first list simply lacks it (there is no delete to deliver), so say so here.
    void informer.waitForSync().then((synced) => {
      if (synced && informer.get(namespace, name) === undefined) handlers.onDelete?.();
    });
    return { stop: () => informer.stop(), lastError: () => informer.lastError };
  }

  /** Watches the Events about a canary. */
  watchEvents(canary: Canary, handlers: { onChange(event: EventView): void; onEventDeleted?(event: EventView): void }): Watching {
    const informer = new Informer(this.target.kubeConfig, {
      resource: Resources.Event,
      namespace: canary.metadata.namespace ?? this.target.namespace,
      fieldSelector: eventSelector(canary),
      resyncPeriodMs: 0,
      log: this.log,
    });
    const changed = (obj: CoreV1Event): void => {
      if (aboutThisCanary(obj, canary)) handlers.onChange(toEventView(obj));
    };
    informer.addHandler({
      onAdd: changed,
      onUpdate: (_old, obj) => changed(obj),
      onDelete: (obj) => {
        if (aboutThisCanary(obj, canary)) handlers.onEventDeleted?.(toEventView(obj));
      },
    });
    informer.start();
    return { stop: () => informer.stop(), lastError: () => informer.lastError };
  }
}

function eventSelector(canary: Canary): string {
  return `involvedObject.kind=${CANARY.kind},involvedObject.name=${canary.metadata.name}`;
}

/** Events of an earlier Canary with the same name carry another uid. */
function aboutThisCanary(raw: unknown, canary: Canary): boolean {
  const uid = (raw as CoreV1Event | undefined)?.involvedObject?.uid;
  return uid === undefined || uid === '' || canary.metadata.uid === undefined || uid === canary.metadata.uid;
}
