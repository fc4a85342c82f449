// Identity of the Sluice API: every kind lives in one group and version.

export const GROUP = 'sluice.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Category shared by all kinds: `kubectl get sluice` lists them together. */
export const CATEGORY = 'sluice';

/** Names of one kind as the API server knows them. */
export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
}

/** Everything a client needs to address a kind (CustomObjectsApi, informers). */
export interface KindMeta extends KindNames {
  readonly group: typeof GROUP;
  readonly version: typeof VERSION;
  readonly apiVersion: typeof API_VERSION;
  /** CRD name: `<plural>.<group>`. */
  readonly crdName: string;
}

export function kindMeta(names: KindNames): KindMeta {
  return { ...names, group: GROUP, version: VERSION, apiVersion: API_VERSION, crdName: `${names.plural}.${GROUP}` };
}

/** The metadata fields our code reads and writes; the API server owns the rest. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
}

/** A stored object of one of our kinds. */
export interface Resource<Kind extends string, Spec, Status> {
  apiVersion: typeof API_VERSION;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}
