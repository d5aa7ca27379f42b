/** Figures of repeated runs: the median and the spread (min-max). */
export function summarize(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const f = (v: number) => v.toFixed(digits);
  return sorted.length === 1 ? f(median) : `${f(median)} (${f(sorted[0])}-${f(sorted[sorted.length - 1])})`;
}

/** A markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [header, header.map(() => '---'), ...rows.map(r => r.map(String))];
  return lines.map(cells => `| ${cells.join(' | ')} |`).join('\n');
}

/** One section of docs/PERFORMANCE.md. */
export interface Section {
  readonly title: string;
  /** How the figures were measured. */
  readonly method: string;
  readonly body: string;
}
