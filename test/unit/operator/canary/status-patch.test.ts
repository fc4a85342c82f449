import { mergePatch } from '../../../../operator/canary/status-patch.js';

describe('mergePatch', () => {
  it('nulls keys the next status dropped, nested too', () => {
    const previous = { phase: 'Progressing', rollout: { startedAt: 'a', stepRoute: 'weighted:25', preRolloutPassed: true }, failedChecks: 1 };
    const next = { phase: 'Failed', rollout: { startedAt: 'a', finishedAt: 'b' }, failedChecks: 1 };
    expect(mergePatch(previous, next)).toEqual({ phase: 'Failed', rollout: { stepRoute: null, preRolloutPassed: null, finishedAt: 'b' } });
  });

  it('replaces arrays whole and says nothing when nothing changed', () => {
    expect(mergePatch({ results: [1, 2] }, { results: [2] })).toEqual({ results: [2] });
    expect(mergePatch({ a: { b: [1] } }, { a: { b: [1] } })).toBeUndefined();
  });

  it('applied as RFC 7386 says, yields the next status', () => {
    const apply = (target: unknown, patch: unknown): unknown => {
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
      const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
      for (const [k, v] of Object.entries(patch)) {
        if (v === null) delete out[k];
        else out[k] = apply(out[k], v);
      }
      return out;
    };
    const previous = { a: 1, b: { c: 2, d: { e: 3 } }, f: [1] };
    const next = { b: { d: { g: 4 } }, f: [], h: 'x' };
    expect(apply(previous, mergePatch(previous, next))).toEqual(next);
  });
});
