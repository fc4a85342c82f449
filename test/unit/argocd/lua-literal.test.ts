// Fixtures reach Lua as table constructors; the conversion must not change a value.
import { luaLiteral } from '../../integration/argocd/lua-literal.js';

describe('luaLiteral', () => {
  it('writes scalars, lists and maps', () => {
    expect(luaLiteral({ a: 1, b: [true, 'x'], c: null, d: 2.5 })).toBe('{["a"] = 1, ["b"] = {true, "x"}, ["d"] = 2.5}');
    expect(luaLiteral(null)).toBe('nil');
  });

  it('escapes quotes, backslashes, newlines, control characters and non-ASCII text', () => {
    expect(luaLiteral('say "hi"\\\n')).toBe('"say \\"hi\\"\\\\\\n"');
    expect(luaLiteral('\t')).toBe('"\\9"');
    expect(luaLiteral('é')).toBe('"\\195\\169"');
    expect(luaLiteral(']]')).toBe('"]]"');
  });

  it('refuses what Lua cannot hold', () => {
    expect(() => luaLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => luaLiteral(() => 1)).toThrow(TypeError);
  });
});
