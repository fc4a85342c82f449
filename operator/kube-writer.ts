// The writes controllers make, in one place: server-side apply for objects Sluice owns,
// JSON merge patches for the few fields it changes on objects others own, and status
// patches through the status subresource. Reads come from informer caches, never from here.
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { isNotFound } from './runtime/kube-errors.js';

export const FIELD_MANAGER = 'sluice-operator';

/** Just enough to address an object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

export class KubeWriter {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;

  constructor(kubeConfig: KubeConfig, private readonly fieldManager = FIELD_MANAGER) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** Server-side apply of the fields Sluice owns; forces ownership of exactly those fields. */
  apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(obj, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply);
  }

  /**
   * JSON merge patch of an object someone else owns. With `metadata.resourceVersion` in the
   * patch it fails with a conflict instead of overwriting a concurrent change.
   */
  mergePatch<T extends KubernetesObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    const metadata = { ...((patch.metadata as Record<string, unknown> | undefined) ?? {}), name: ref.metadata.name, namespace: ref.metadata.namespace };
    const body = { ...patch, apiVersion: ref.apiVersion, kind: ref.kind, metadata } as unknown as T;
    return this.objects.patch(body, undefined, undefined, this.fieldManager, undefined, PatchStrategy.MergePatch);
  }

  /** Merge patch of a custom resource's status subresource. */
  async patchStatus(ref: CustomResourceRef, status: unknown): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: ref.group, version: ref.version, namespace: ref.namespace, plural: ref.plural, name: ref.name, body: { status }, fieldManager: this.fieldManager },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Deletes; an object already gone is fine. */
  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.objects.delete(ref as KubernetesObject);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
