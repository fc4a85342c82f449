// Puts the live view on the screen. On a terminal the view is redrawn in place a few times a
// second (cursor hidden, lines cut to the terminal's width and height so a redraw never
// scrolls); otherwise only what changed is printed, one stamped line each. Between the
// live parts (before, after) text is printed as it is.
import { terminalFrame } from '../cli/terminal-frame.js';
import { fitScreen, type LiveInput, type PlainState, plainUpdate, renderLive } from './live-view.js';

const REDRAW_MS = 200;
const PLAIN_CHECK_MS = 250;
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

export class Screen {
  private timer: NodeJS.Timeout | undefined;
  private first = true;
  private plainState: PlainState | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    readonly redraws: boolean,
    private readonly snapshot: () => LiveInput,
  ) {}

  get live(): boolean {
    return this.timer !== undefined;
  }

  startLive(): void {
    if (this.timer) return;
    if (this.redraws) this.out.write(HIDE_CURSOR);
    this.draw();
    this.timer = setInterval(() => this.draw(), this.redraws ? REDRAW_MS : PLAIN_CHECK_MS);
  }

  /** Draws once more and leaves the last frame on screen. */
  stopLive(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.draw();
    if (this.redraws) this.out.write(SHOW_CURSOR);
  }

  /** Text outside the live view (it would be overdrawn while the view is live). */
  print(text: string): void {
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** For an exit handler: a terminal must not be left without its cursor. */
  restoreTerminal(): void {
    if (this.redraws) this.out.write(SHOW_CURSOR);
  }

  private draw(): void {
    const input = this.snapshot();
    if (this.redraws) {
      // One row less: the frame ends with a newline, which must not scroll the screen.
      const lines = fitScreen(renderLive(input), this.out.columns ?? 100, (this.out.rows ?? 40) - 1);
      this.out.write(terminalFrame(lines.join('\n'), this.first));
      this.first = false;
      return;
    }
    const { lines, state } = plainUpdate(this.plainState, input);
    this.plainState = state;
    if (lines.length > 0) this.out.write(`${lines.join('\n')}\n`);
  }
}
