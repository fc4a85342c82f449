// The canary's traffic weight as a bar: `[████████░░░░░░░░░░░░] 40%`.

export interface ProgressBarOptions {
  /** Cells between the brackets. Default 20 (5% per cell). */
  width?: number;
}

export function progressBar(percent: number, options: ProgressBarOptions = {}): string {
  const width = options.width ?? 20;
  const clamped = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
  // Any traffic at all shows at least one cell, and anything short of 100% leaves one empty:
  // 1% and 0% must not look alike, nor 99% and 100%.
  let filled = Math.round((clamped / 100) * width);
  if (clamped > 0 && filled === 0) filled = 1;
  if (clamped < 100 && filled === width) filled = width - 1;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(clamped)}%`;
}
