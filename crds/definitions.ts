// Turns the schemas into CustomResourceDefinition objects: names, scope, printer columns,
// status subresource. Pure: the generator script writes the result to YAML files.

import { ALERT_PROVIDER, alertProviderSpec, alertProviderStatus } from './alert-provider.js';
import { CANARY, canarySpec, canaryStatus } from './canary.js';
import { CATEGORY, type KindMeta } from './group.js';
import { MESH_ROUTE, meshRouteSpec, meshRouteStatus } from './meshroute.js';
import { METRIC_TEMPLATE, metricTemplateSpec, metricTemplateStatus } from './metric-template.js';
import type { JsonSchemaProps, Schema } from './schema/builder.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  /** 1: shown only with `kubectl get -o wide`. */
  priority?: number;
}

/** The apiextensions.k8s.io/v1 CustomResourceDefinition fields we emit. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: true;
      storage: true;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchemaProps };
    }[];
  };
}

/** What differs between our kinds. */
export interface KindDefinition {
  meta: KindMeta;
  description: string;
  spec: Schema<unknown>;
  status: Schema<unknown>;
  printerColumns: PrinterColumn[];
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export const KIND_DEFINITIONS: readonly KindDefinition[] = [
  {
    meta: CANARY,
    description: 'Canary rolls out new revisions of a Deployment progressively, checking them at every step.',
    spec: canarySpec,
    status: canaryStatus,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Where the rollout is.' },
      { name: 'Weight', type: 'integer', jsonPath: '.status.canaryWeight', description: 'Percentage of traffic on the canary.' },
      { name: 'FailedChecks', type: 'integer', jsonPath: '.status.failedChecks', description: 'Failed checks in this rollout.' },
      { name: 'LastTransition', type: 'date', jsonPath: '.status.lastTransitionTime', description: 'When the phase last changed.' },
      { name: 'Interval', type: 'string', jsonPath: '.spec.analysis.interval', priority: 1, description: 'Time between steps.' },
      { name: 'Step', type: 'integer', jsonPath: '.spec.analysis.stepWeight', priority: 1, description: 'Weight increase per step.' },
      { name: 'MaxWeight', type: 'integer', jsonPath: '.spec.analysis.maxWeight', priority: 1, description: 'Highest canary weight.' },
      { name: 'Paused', type: 'boolean', jsonPath: '.status.paused', priority: 1, description: 'Paused by a pause action.' },
    ],
  },
  {
    meta: MESH_ROUTE,
    description: 'MeshRoute tells the waypoint proxies how to route the traffic of one Service.',
    spec: meshRouteSpec,
    status: meshRouteStatus,
    printerColumns: [
      { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'Apex Service taken over.' },
      { name: 'Port', type: 'integer', jsonPath: '.spec.port', description: 'Port of the apex Service.' },
      {
        name: 'Programmed',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Programmed")].status',
        description: 'Whether every proxy applied the spec.',
      },
      { name: 'Applied', type: 'integer', jsonPath: '.status.proxies.applied', description: 'Proxies on the current version.' },
      { name: 'Desired', type: 'integer', jsonPath: '.status.proxies.desired', description: 'Proxies serving the route.' },
      { name: 'Listener', type: 'integer', jsonPath: '.status.listenerPort', priority: 1, description: 'Waypoint listener port.' },
      age,
    ],
  },
  {
    meta: METRIC_TEMPLATE,
    description: 'MetricTemplate is a reusable metric query for canary analysis.',
    spec: metricTemplateSpec,
    status: metricTemplateStatus,
    printerColumns: [
      { name: 'Provider', type: 'string', jsonPath: '.spec.provider.type', description: 'prometheus or builtin.' },
      { name: 'Address', type: 'string', jsonPath: '.spec.provider.address', priority: 1, description: 'Prometheus URL.' },
      age,
    ],
  },
  {
    meta: ALERT_PROVIDER,
    description: 'AlertProvider is a destination for rollout events: Slack, Microsoft Teams, Discord or a generic webhook.',
    spec: alertProviderSpec,
    status: alertProviderStatus,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Message format.' },
      { name: 'Channel', type: 'string', jsonPath: '.spec.channel', description: 'Channel posted to.' },
      age,
    ],
  },
];

/** The top-level schema of a kind: the standard object envelope around spec and status. */
export function rootSchema(def: KindDefinition): JsonSchemaProps {
  return {
    description: def.description,
    type: 'object',
    properties: {
      apiVersion: { description: 'APIVersion of this object: sluice.dev/v1alpha1.', type: 'string' },
      kind: { description: `Kind of this object: ${def.meta.kind}.`, type: 'string' },
      metadata: { type: 'object' },
      spec: def.spec.json,
      status: def.status.json,
    },
    required: ['spec'],
  };
}

export function customResourceDefinition(def: KindDefinition): CustomResourceDefinition {
  const { meta } = def;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: meta.crdName, labels: { 'app.kubernetes.io/part-of': 'sluice' } },
    spec: {
      group: meta.group,
      names: {
        kind: meta.kind,
        listKind: meta.listKind,
        plural: meta.plural,
        singular: meta.singular,
        shortNames: [...meta.shortNames],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: meta.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: rootSchema(def) },
        },
      ],
    },
  };
}

/** All our CRDs, in a stable order. */
export function customResourceDefinitions(): CustomResourceDefinition[] {
  return KIND_DEFINITIONS.map(customResourceDefinition);
}
