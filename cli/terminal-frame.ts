// Redrawing a view in place on a terminal: cursor home, each line followed by "erase to end
// of line", then "erase below". Unlike clearing the screen first, nothing flickers when the
// view is redrawn every second to keep its ages current.

const HOME = '\u001b[H';
const CLEAR_SCREEN = '\u001b[2J';
const ERASE_LINE_END = '\u001b[K';
const ERASE_BELOW = '\u001b[J';

export function terminalFrame(view: string, first: boolean): string {
  const body = view
    .split('\n')
    .map((line) => line + ERASE_LINE_END)
    .join('\n');
  return `${first ? HOME + CLEAR_SCREEN : ''}${HOME}${body}\n${ERASE_BELOW}`;
}
