// Colour for people at a terminal, nothing for logs and pipes: the same renderers produce
// both, with either style. Honours NO_COLOR (https://no-color.org).

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  good(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
}

const identity = (text: string): string => text;

export const plainStyle: Style = { bold: identity, dim: identity, good: identity, bad: identity, warn: identity };

const sgr = (open: number, close: number) => (text: string): string => `\u001b[${open}m${text}\u001b[${close}m`;

export const ansiStyle: Style = { bold: sgr(1, 22), dim: sgr(2, 22), good: sgr(32, 39), bad: sgr(31, 39), warn: sgr(33, 39) };

export function chooseStyle(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Style {
  if (!isTTY || (env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb') return plainStyle;
  return ansiStyle;
}

// eslint-disable-next-line no-control-regex -- matching the escape sequences ansiStyle emits is the point
const SGR_SEQUENCE = /\u001b\[[0-9;]*m/g;

/** The width a string takes on screen: escape sequences take none. */
export function visibleLength(text: string): number {
  return [...text.replace(SGR_SEQUENCE, '')].length;
}
