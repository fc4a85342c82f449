import { formatTable } from '../../../cli/table.js';
import { ansiStyle, chooseStyle, plainStyle, visibleLength } from '../../../cli/style.js';

describe('formatTable', () => {
  it('aligns columns three spaces apart without trailing blanks', () => {
    expect(formatTable(['NAME', 'PHASE'], [['podinfo', 'Progressing'], ['a', '']])).toBe(
      ['NAME      PHASE', 'podinfo   Progressing', 'a'].join('\n'),
    );
  });

  it('measures coloured cells by what shows on screen', () => {
    const out = formatTable(['A', 'B'], [[ansiStyle.bad('xy'), 'z'], ['long', 'w']]);
    const lines = out.split('\n');
    expect(lines[1]).toBe(`${ansiStyle.bad('xy')}     z`);
    expect(visibleLength(lines[1] ?? '')).toBe(visibleLength(lines[2] ?? ''));
  });
});

describe('chooseStyle', () => {
  it('colours only a terminal, and not with NO_COLOR or TERM=dumb', () => {
    expect(chooseStyle(true, {})).toBe(ansiStyle);
    expect(chooseStyle(false, {})).toBe(plainStyle);
    expect(chooseStyle(true, { NO_COLOR: '1' })).toBe(plainStyle);
    expect(chooseStyle(true, { TERM: 'dumb' })).toBe(plainStyle);
  });
});
