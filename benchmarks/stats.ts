import * as os from 'os';

/** Figures of repeated runs: the median and the spread (min-max). */
export function summarize(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(digits);
  return sorted.length === 1 ? f(sorted[0]) : `${f(median(sorted))} (${f(sorted[0])}-${f(sorted[sorted.length - 1])})`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
  /** The section's headline figures, for the README's performance summary (written from the same run). */
  readonly readme?: string;
}

/**
 * BENCH_QUICK=1: every benchmark runs at a small size and with fewer runs, to check that it works end to
 * end (the figures then mean little; run.ts does not write docs/PERFORMANCE.md).
 */
export function quick(): boolean {
  return ['1', 'true'].includes(process.env.BENCH_QUICK ?? '');
}

/** The machine and its load, for a method text. */
export function machine(loadBefore: number): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}; `
    + `1-minute load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0].toFixed(1)} after`;
}

/** Runs `fn` with the console's log, info and warn silenced (the handlers' log lines). */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn };
  console.log = console.info = console.warn = () => undefined;
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}
