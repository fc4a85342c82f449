// The chart README's values table comes from the `# --` comments of values.yaml: the
// generator's rules, and the committed README matching what it generates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  descriptionOf,
  renderValuesTable,
  TABLE_END,
  TABLE_START,
  UndocumentedValueError,
  valueRows,
  withValuesTable,
} from '../../../scripts/chart-values-table.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');

describe('values table generator', () => {
  it('documents leaves, nested first keys and whole maps that carry a comment', () => {
    const rows = valueRows(
      [
        '# File header, not a description.',
        '',
        '# -- Replicas of the thing.',
        'replicas: 2',
        'image:',
        '  # -- Repository, on',
        '  # two lines.',
        '  repository: example/x',
        '  # -- Tag.',
        '  tag: ""',
        '# -- Resources, documented as one value.',
        'resources:',
        '  limits:',
        '    memory: 1Gi',
        '# -- Extra flags.',
        'extraArgs: []',
        '# -- Ratio.',
        'ratio: 0.5',
      ].join('\n'),
    );
    expect(rows).toEqual([
      { key: 'replicas', type: 'int', defaultJson: '2', description: 'Replicas of the thing.' },
      { key: 'image.repository', type: 'string', defaultJson: '"example/x"', description: 'Repository, on two lines.' },
      { key: 'image.tag', type: 'string', defaultJson: '""', description: 'Tag.' },
      { key: 'resources', type: 'object', defaultJson: '{"limits":{"memory":"1Gi"}}', description: 'Resources, documented as one value.' },
      { key: 'extraArgs', type: 'list', defaultJson: '[]', description: 'Extra flags.' },
      { key: 'ratio', type: 'float', defaultJson: '0.5', description: 'Ratio.' },
    ]);
  });

  it('refuses a value without a description, naming it', () => {
    expect(() => valueRows('# -- Documented.\na: 1\nb:\n  c: true\n')).toThrow(UndocumentedValueError);
    expect(() => valueRows('# -- Documented.\na: 1\nb:\n  c: true\n')).toThrow('b.c has no "# --" comment');
  });

  it('takes only the last "--" paragraph of a comment', () => {
    expect(descriptionOf(' Header\n\n -- First.\n -- Second, and\n more.')).toBe('Second, and more.');
    expect(descriptionOf(' no marker here')).toBeUndefined();
    expect(descriptionOf(undefined)).toBeUndefined();
  });

  it('escapes pipes so that a default cannot break the table', () => {
    const table = renderValuesTable([{ key: 'a', type: 'string', defaultJson: '"x|y"', description: 'one | two' }]);
    expect(table).toContain('| `a` | string | `"x\\|y"` | one \\| two |');
  });

  it('replaces only the text between the markers', () => {
    const readme = `intro\n${TABLE_START}\nold table\n${TABLE_END}\noutro\n`;
    expect(withValuesTable(readme, 'NEW\n')).toBe(`intro\n${TABLE_START}\nNEW\n${TABLE_END}\noutro\n`);
    expect(() => withValuesTable('no markers', 'NEW\n')).toThrow('markers');
  });
});

describe('chart/README.md', () => {
  it('has the values table generated from chart/values.yaml (npm run chart:docs)', () => {
    const values = readFileSync(join(root, 'chart/values.yaml'), 'utf8');
    const readme = readFileSync(join(root, 'chart/README.md'), 'utf8');
    expect(readme).toBe(withValuesTable(readme, renderValuesTable(valueRows(values))));
  });

  it('documents every key of values.yaml', () => {
    const values = readFileSync(join(root, 'chart/values.yaml'), 'utf8');
    const keys = valueRows(values).map((r) => r.key);
    expect(keys).toEqual(expect.arrayContaining(['operator.replicas', 'rbac.scope', 'configServer.tls.mode', 'waypoint.replicas', 'crds.templated']));
  });
});
