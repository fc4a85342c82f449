import { terminalFrame } from '../../../cli/terminal-frame.js';

describe('terminalFrame', () => {
  it('clears the screen only for the first frame', () => {
    expect(terminalFrame('a', true)).toBe('\u001b[H\u001b[2J\u001b[Ha\u001b[K\n\u001b[J');
    expect(terminalFrame('a', false)).toBe('\u001b[Ha\u001b[K\n\u001b[J');
  });

  it('erases the rest of every line and everything below the view', () => {
    const frame = terminalFrame('one\ntwo', false);
    expect(frame).toBe('\u001b[Hone\u001b[K\ntwo\u001b[K\n\u001b[J');
  });
});
