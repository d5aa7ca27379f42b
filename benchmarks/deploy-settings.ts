/*
 * The stack of alternate contacts that benchmarks/deploy-at-once.ts deploys, declared the same way by
 * each side: one module, so that the sides cannot drift apart in what they declare.
 */
import { AlternateContactType } from '../src';

export const MANAGEMENT = '111111111111';
export const TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];
export const CONTACTS: Record<AlternateContactType, { name: string; title: string; emailAddress: string; phoneNumber: string }> = {
  [AlternateContactType.BILLING]: { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' },
  [AlternateContactType.OPERATIONS]: { name: 'Cloud Platform On-Call', title: 'Platform Operations', emailAddress: 'aws-ops@example.com', phoneNumber: '+1 206-555-0102' },
  [AlternateContactType.SECURITY]: { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' },
};

export interface Setting {
  readonly id: string;
  readonly accountId: string;
  readonly type: AlternateContactType;
}

/** Member accounts 200000000000 + i, each with its BILLING, OPERATIONS and SECURITY contacts, until there are n. */
export function settings(n: number): Setting[] {
  return Array.from({ length: n }, (_, i) => {
    const accountId = String(200000000000 + Math.floor(i / TYPES.length));
    const type = TYPES[i % TYPES.length];
    return { id: `${type}${accountId}`, accountId, type };
  });
}
