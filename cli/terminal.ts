import { duration } from './aws';
import type { Progress } from './plan';

/*
 * What the tool draws for people: a table with box-drawing borders, and a progress line on standard error,
 * in a few lines of its own rather than cli-table3 and cli-progress (about 50 KiB of the bundle with their dependencies).
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
/** East Asian wide and fullwidth characters and emoji: a terminal gives each two columns. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Combining marks, joiners and variation selectors take no column. */
const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\ufe00-\ufe0f]/u;

/** The columns a line takes on a terminal: colour codes none, wide characters two. */
export function widthOf(line: string): number {
  let width = 0;
  for (const char of line.replace(ANSI, '')) width += WIDE.test(char) ? 2 : ZERO_WIDTH.test(char) ? 0 : 1;
  return width;
}

/** Cells may hold several lines ("\n"); colour, when asked for, makes the header bold and the borders grey. */
export function table(head: string[], rows: string[][], options: { colour?: boolean } = {}): string {
  const grey = (text: string) => (options.colour ? `\u001b[90m${text}\u001b[39m` : text);
  const bold = (text: string) => (options.colour ? `\u001b[1m${text}\u001b[22m` : text);
  const all = [head, ...rows].map(row => head.map((_, i) => (row[i] ?? '').split('\n')));
  const widths = head.map((_, i) => Math.max(...all.map(row => Math.max(...row[i].map(widthOf)))));
  const rule = (left: string, middle: string, right: string) => grey(`${left}${widths.map(w => '─'.repeat(w + 2)).join(middle)}${right}`);
  const lines = (row: string[][], style: (text: string) => string) => Array.from({ length: Math.max(...row.map(cell => cell.length)) }, (_, n) =>
    `${grey('│')}${row.map((cell, i) => style(` ${cell[n] ?? ''}${' '.repeat(widths[i] - widthOf(cell[n] ?? ''))} `)).join(grey('│'))}${grey('│')}`);
  const [headCells, ...bodyCells] = all;
  return [
    rule('┌', '┬', '┐'),
    ...lines(headCells, bold),
    ...bodyCells.flatMap(row => [rule('├', '┼', '┤'), ...lines(row, text => text)]),
    rule('└', '┴', '┘'),
  ].join('\n');
}

/** Cells of the progress line's bar. */
const BAR = 40;
/** The line is redrawn at most this often. */
const REDRAW_MS = 100;

/** "Reading [bar] 12/40 settings | 30s left" on a terminal's line, redrawn in place; the cursor is hidden while it shows. */
export function progressLine(stream: { write(text: string): unknown }, now: () => number = Date.now): Progress & { show(): void } {
  let done = 0;
  let total = 0;
  let started = 0;
  let drawn = -Infinity;
  let showing = false;
  const draw = (force: boolean) => {
    if (!showing || (!force && now() - drawn < REDRAW_MS)) return;
    drawn = now();
    const full = total ? Math.min(BAR, Math.round((done / total) * BAR)) : 0;
    const left = done ? duration(((now() - started) / done) * (total - done)) : '…';
    stream.write(`\r\u001b[KReading ${'='.repeat(full)}${'-'.repeat(BAR - full)} ${done}/${total} settings | ${left} left`);
  };
  return {
    start: (n: number) => {
      total = n;
      started = now();
    },
    show: () => {
      showing = true;
      stream.write('\u001b[?25l');
      draw(true);
    },
    tick: () => {
      done++;
      draw(false);
    },
    stop: () => {
      if (!showing) return;
      draw(true);
      showing = false;
      stream.write('\n\u001b[?25h');
    },
  };
}
