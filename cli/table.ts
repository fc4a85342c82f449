// Column-aligned text tables in kubectl's style: upper-case headers, columns separated by
// three spaces, no borders, the last column not padded (so lines carry no trailing blanks).
// Cells may be coloured: widths count what shows on screen.
import { visibleLength } from './style.js';

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => visibleLength(row[col] ?? ''))));
  return all
    .map((row) =>
      header
        .map((_, col) => {
          const cell = row[col] ?? '';
          return col === header.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleLength(cell));
        })
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}
