/*
 * The ETA that `plan` prints (cli/eta.ts), against what the organization-scale benchmark measured
 * (docs/PERFORMANCE.md, "at real quotas"): the changes of the benchmark's fresh organizations, costed at
 * the documented quotas, come within a tenth of the measured times. No clock is involved: the figures
 * are read from the benchmark's report.
 */
import * as fs from 'fs';
import * as path from 'path';
import { etaOf, etaText } from '../cli/eta';
import type { Change } from '../cli/plan';

const REPORT = fs.readFileSync(path.join(__dirname, '..', 'docs', 'PERFORMANCE.md'), 'utf8');

/** The "at real quotas" column of a row of the organization-scale table, in seconds. */
function measured(row: string): number {
  const line = REPORT.split('\n').find(l => l.startsWith(`| ${row} | caller |`));
  if (!line) throw new Error(`docs/PERFORMANCE.md has no row "${row}" at per-caller quotas`);
  const atRealQuotas = line.split('|').map(cell => cell.trim())[5];
  const match = /^([\d.]+) (s|min|h)$/.exec(atRealQuotas);
  if (!match) throw new Error(`"${atRealQuotas}" is not a duration`);
  return Number(match[1]) * { s: 1, min: 60, h: 3600 }[match[2] as 's' | 'min' | 'h'];
}

function accounts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(200000000000 + i));
}

/** What a plan shows for a fresh organization: every declared setting of every account to be written or enabled. */
function freshPlan(n: number, settings: Array<{ setting: Change['setting']; action: Change['action'] }>): Change[] {
  return accounts(n).flatMap(account => settings.map(s => ({ account, ...s, resource: 'Org/Baseline', construct: 'Org/Baseline' })));
}

const CONTACTS = (['BILLING', 'OPERATIONS', 'SECURITY'] as const).map(type => ({ setting: `${type} alternate contact` as const, action: 'write' as const }));
const REGIONS = ['af-south-1', 'ap-east-1'].map(region => ({ setting: `Region ${region}` as const, action: 'enable' as const }));

test.each([
  ['1,000 × 3 contacts: OrganizationBaseline', freshPlan(1_000, CONTACTS), /PutAlternateContact/],
  ['10,000 × 3 contacts: OrganizationBaseline', freshPlan(10_000, CONTACTS), /PutAlternateContact/],
  ['1,000 × 2 Regions: OrganizationBaseline', freshPlan(1_000, REGIONS), /Region transitions/],
])('the ETA of %s is within 10 %% of the benchmark\'s time at real quotas', (row, changes, bound) => {
  const eta = etaOf(changes)!;

  expect(Math.abs(eta.seconds - measured(row)) / measured(row)).toBeLessThanOrEqual(0.1);
  expect(eta.boundBy).toMatch(bound);
  expect(etaText(eta)).toMatch(/^applying these changes takes about \d/);
});

test('nothing to change: no ETA; unchanged settings cost nothing', () => {
  expect(etaOf(freshPlan(10, CONTACTS.map(c => ({ ...c, action: 'unchanged' as const }))))).toBeUndefined();
  const one = etaOf(freshPlan(1, [CONTACTS[0], { setting: 'primary contact', action: 'unchanged' }]))!;
  expect(one.calls).toEqual({ GetAlternateContact: 1, PutAlternateContact: 1 });
});

test('one account\'s Regions wait on its own limit of 6 transitions at once', () => {
  const regions = Array.from({ length: 13 }, (_, i) => ({ setting: `Region r-${i}` as const, action: 'enable' as const }));

  const eta = etaOf(freshPlan(1, regions), 300)!;

  expect(eta.seconds).toBe(3 * 300);
});
