import { createHash } from 'crypto';
import type { BaselineDocument, TargetSpec } from '../../src/contract';

/**
 * The physical id names the targets and what is declared for them (contact types, Regions…), not the
 * values: a renamed construct keeps it, so a Delete can tell, and two baselines of the same targets
 * that declare different settings do not take each other for a rename.
 */
export function baselinePhysicalId(ownAccount: string, targets: TargetSpec, baseline: BaselineDocument): string {
  const { alternateContacts, overrides, enabledRegions, primaryContact } = baseline;
  const types = new Set([...Object.keys(alternateContacts), ...Object.values(overrides).flatMap(o => Object.keys(o.alternateContacts ?? {}))]);
  const declared = {
    targets,
    types: [...types].sort(),
    regions: [...enabledRegions].sort(),
    primaryContact: primaryContact !== undefined || Object.values(overrides).some(o => o.primaryContact),
    names: Object.keys(overrides).filter(id => overrides[id].accountName !== undefined).sort(),
  };
  const digest = createHash('sha256').update(JSON.stringify(declared)).digest('hex').slice(0, 16);
  return `${ownAccount}/organization-baseline/${digest}`;
}
