import { RequestFacts, parseCookies, parseQuery } from '../../../proxy/request-facts.js';
import { compileMatches, compilePathMatch, compileStringMatch, findMatchingRule } from '../../../proxy/route-matcher.js';
import type { RouteMatch } from '../../../proxy/snapshot.js';

function facts(method: string, url: string, headers: Record<string, string | string[]> = {}): RequestFacts {
  return new RequestFacts(method, url, headers);
}

function rules(...matchLists: (RouteMatch[] | undefined)[]) {
  return matchLists.map((m) => ({ matches: compileMatches(m) }));
}

describe('string matches', () => {
  it.each<[object, string | undefined, boolean]>([
    [{ exact: 'a' }, 'a', true],
    [{ exact: 'a' }, 'ab', false],
    [{ exact: '' }, undefined, false],
    [{ prefix: 'ab' }, 'abc', true],
    [{ prefix: 'ab' }, 'xab', false],
    [{ suffix: 'bc' }, 'abc', true],
    [{ suffix: 'bc' }, 'bca', false],
    [{ regex: 'v[0-9]+' }, 'v12', true],
    // Anchored: a regex must match the whole value, as in Envoy.
    [{ regex: 'v[0-9]+' }, 'xv12', false],
    [{ regex: 'a|b' }, 'ab', false],
    [{ regex: '.*Firefox.*' }, 'Mozilla Firefox 1', true],
    [{ present: true }, '', true],
    [{ present: true }, undefined, false],
    [{ present: false }, undefined, true],
    [{ present: false }, 'x', false],
    [{ prefix: 'a' }, undefined, false],
  ])('%j on %j is %s', (m, value, expected) => {
    expect(compileStringMatch(m as never)(value)).toBe(expected);
  });
});

describe('path matches', () => {
  it.each<[object, string, boolean]>([
    [{ exact: '/api' }, '/api', true],
    [{ exact: '/api' }, '/api/', false],
    [{ prefix: '/api' }, '/api', true],
    [{ prefix: '/api' }, '/api/v1', true],
    [{ prefix: '/api' }, '/apis', false],
    [{ prefix: '/api/' }, '/api', true],
    [{ prefix: '/api/' }, '/api/x', true],
    [{ prefix: '/' }, '/anything', true],
    [{ regex: '/users/[0-9]+' }, '/users/42', true],
    [{ regex: '/users/[0-9]+' }, '/users/42/x', false],
  ])('%j on %s is %s', (m, path, expected) => {
    expect(compilePathMatch(m as never)(path)).toBe(expected);
  });
});

describe('findMatchingRule', () => {
  it('returns the first rule that matches, in order', () => {
    const table = rules([{ headers: [{ name: 'x-canary', exact: 'yes' }] }], [{ path: { prefix: '/api' } }], undefined);
    expect(findMatchingRule(table, facts('GET', '/api/x', { 'x-canary': 'yes' }))).toBe(0);
    expect(findMatchingRule(table, facts('GET', '/api/x'))).toBe(1);
    expect(findMatchingRule(table, facts('GET', '/other'))).toBe(2);
  });

  it('returns -1 when nothing matches', () => {
    expect(findMatchingRule(rules([{ method: 'POST' }]), facts('GET', '/'))).toBe(-1);
    expect(findMatchingRule([], facts('GET', '/'))).toBe(-1);
  });

  it('ORs the entries of matches and ANDs the conditions within one', () => {
    const table = rules([{ method: 'POST', path: { exact: '/a' } }, { queryParams: [{ name: 'beta', exact: '1' }] }]);
    expect(findMatchingRule(table, facts('POST', '/a'))).toBe(0);
    expect(findMatchingRule(table, facts('GET', '/a'))).toBe(-1);
    expect(findMatchingRule(table, facts('POST', '/b'))).toBe(-1);
    expect(findMatchingRule(table, facts('GET', '/b?beta=1'))).toBe(0);
  });

  it('matches header names case-insensitively and joins repeated headers', () => {
    const table = rules([{ headers: [{ name: 'X-User-Group', exact: 'a, b' }] }]);
    expect(findMatchingRule(table, facts('GET', '/', { 'x-user-group': ['a', 'b'] }))).toBe(0);
    expect(findMatchingRule(table, facts('GET', '/', { 'x-user-group': 'a' }))).toBe(-1);
  });

  it('matches cookies and query parameters', () => {
    const table = rules([{ cookies: [{ name: 'tier', exact: 'gold' }], queryParams: [{ name: 'q', prefix: 'hello' }] }]);
    expect(findMatchingRule(table, facts('GET', '/?q=hello+world', { cookie: 'a=1; tier=gold' }))).toBe(0);
    expect(findMatchingRule(table, facts('GET', '/?q=hello', { cookie: 'tier=silver' }))).toBe(-1);
    expect(findMatchingRule(table, facts('GET', '/', { cookie: 'tier=gold' }))).toBe(-1);
  });

  it('matches the path without the query string', () => {
    expect(findMatchingRule(rules([{ path: { exact: '/a' } }]), facts('GET', '/a?x=1'))).toBe(0);
  });
});

describe('parsing', () => {
  it('parses cookies, first occurrence wins, quotes removed', () => {
    expect([...parseCookies('a=1; b="two"; a=3; bad; =x; c=')]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', ''],
    ]);
    expect(parseCookies(undefined).size).toBe(0);
  });

  it('parses query strings with decoding, first value wins', () => {
    expect([...parseQuery('a=1&b=x%20y&a=2&flag&c=%E2%9C%93&d=%zz&e=1+2')]).toEqual([
      ['a', '1'],
      ['b', 'x y'],
      ['flag', ''],
      ['c', '✓'],
      ['d', '%zz'],
      ['e', '1 2'],
    ]);
  });
});
