// The Sluice API: types, constants and helpers for the four kinds. Import from here.
//
//   import { type Canary, CANARY, parseDuration } from '../crds/index.js';
//
// Types are derived from the same schema definitions that generate the CRD YAML, so a
// field added to a schema appears in the types (and the API reference) at once.

export * from './group.js';
export * from './duration.js';
export * from './action.js';
export * from './common.js';
export * from './canary.js';
export * from './meshroute.js';
export * from './metric-template.js';
export * from './alert-provider.js';
export * from './operator-checks.js';
export { type CustomResourceDefinition, type PrinterColumn, customResourceDefinitions } from './definitions.js';
export type { Static } from './schema/builder.js';
