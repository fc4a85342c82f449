import { canaryTable, cellText, columnHeader, noCanariesMessage, readPath } from '../../../cli/canary-table.js';
import { KIND_DEFINITIONS } from '../../../crds/definitions.js';
import { ago, canary, NOW } from './fixtures.js';

describe('the get table', () => {
  const progressing = canary({ phase: 'Progressing', canaryWeight: 40, failedChecks: 1, lastTransitionTime: ago(125_000) });
  const other = canary({ phase: 'Succeeded', canaryWeight: 0, failedChecks: 0, lastTransitionTime: ago(7_200_000) }, { name: 'api', namespace: 'shop' });

  it('has the CRD printer columns with spaced headers', () => {
    const [header, row] = canaryTable([progressing], { allNamespaces: false, wide: false, now: NOW }).split('\n');
    expect(header?.split(/ {3,}/)).toEqual(['NAME', 'PHASE', 'WEIGHT', 'FAILED CHECKS', 'LAST TRANSITION']);
    expect(row?.split(/ {3,}/)).toEqual(['podinfo', 'Progressing', '40', '1', '2m5s']);
  });

  it('adds NAMESPACE with -A and sorts by namespace, then name', () => {
    const lines = canaryTable([progressing, other], { allNamespaces: true, wide: false, now: NOW }).split('\n');
    expect(lines[0]?.startsWith('NAMESPACE   NAME')).toBe(true);
    expect(lines[1]?.split(/ {3,}/).slice(0, 3)).toEqual(['shop', 'api', 'Succeeded']);
    expect(lines[2]?.split(/ {3,}/).slice(0, 2)).toEqual(['test', 'podinfo']);
  });

  it('adds the priority-1 columns with -o wide', () => {
    const [header, row] = canaryTable([progressing], { allNamespaces: false, wide: true, now: NOW }).split('\n');
    expect(header?.split(/ {3,}/)).toEqual(['NAME', 'PHASE', 'WEIGHT', 'FAILED CHECKS', 'LAST TRANSITION', 'INTERVAL', 'STEP', 'MAX WEIGHT', 'PAUSED']);
    expect(row?.split(/ {3,}/)).toEqual(['podinfo', 'Progressing', '40', '1', '2m5s', '1m', '10', '50']);
  });

  it('leaves cells of a canary without status empty', () => {
    const [, row] = canaryTable([canary(undefined)], { allNamespaces: false, wide: false, now: NOW }).split('\n');
    expect(row).toBe('podinfo');
  });

  it('can read every Canary printer column', () => {
    const columns = KIND_DEFINITIONS.find((d) => d.meta.kind === 'Canary')?.printerColumns ?? [];
    expect(columns.length).toBeGreaterThan(0);
    for (const c of columns) expect(() => readPath(progressing, c.jsonPath)).not.toThrow();
  });

  it('refuses JSONPath it does not understand rather than show nonsense', () => {
    expect(() => readPath({}, '.status.conditions[?(@.type=="Ready")].status')).toThrow(/unsupported/);
  });

  it('formats cells by column type', () => {
    expect(cellText({ name: 'Paused', type: 'boolean', jsonPath: '.x' }, false, NOW)).toBe('false');
    expect(cellText({ name: 'When', type: 'date', jsonPath: '.x' }, ago(30_000), NOW)).toBe('30s');
    expect(cellText({ name: 'Weight', type: 'integer', jsonPath: '.x' }, undefined, NOW)).toBe('');
  });

  it('splits CamelCase column names', () => {
    expect(columnHeader('LastTransition')).toBe('LAST TRANSITION');
    expect(columnHeader('Phase')).toBe('PHASE');
  });

  it('words the empty result like kubectl', () => {
    expect(noCanariesMessage('test')).toBe('No canaries found in test namespace.');
    expect(noCanariesMessage(undefined)).toBe('No canaries found.');
  });
});
