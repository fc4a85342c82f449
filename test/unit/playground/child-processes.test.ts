import { parentPid } from '../../../playground/child-processes.js';

describe('parentPid', () => {
  it.each<[string, string, number | undefined]>([
    ['a plain command', '1234 (node) S 1200 1234 1200 0 -1 4194560', 1200],
    ['a command name with spaces and parentheses', '77 (kube (api) server) R 42 77 42 0', 42],
    ['a zombie has no parent to count', '88 (etcd) Z 42 88 42 0', undefined],
    ['a garbled line', 'nonsense', undefined],
  ])('%s', (_name, stat, expected) => {
    expect(parentPid(stat)).toBe(expected);
  });
});
