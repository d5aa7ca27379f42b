import { Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { alternateContactsByType, renderAlternateContacts, renderPrimaryContact } from './contacts';
import { claimSetting } from './setting-claims';
import { BaselineDocument, MAX_BASELINE_PROPERTY_BYTES, TargetSpec } from '../contract';
import type { OrganizationBaselineProps } from '../organization-baseline';
import {
  validateAccountId, validateAccountName, validateAlternateContactDetails, validatePrimaryContactDetails, validateRegionName,
} from '../validation';

/* What an OrganizationBaseline's properties must be, checked at synth: its targets, its values, its size and its claims. */

export function validateTargets(props: OrganizationBaselineProps): TargetSpec {
  (props.accountIds ?? []).forEach(id => validateAccountId('accountIds', id));
  (props.excludeAccountIds ?? []).forEach(id => validateAccountId('excludeAccountIds', id));
  for (const ou of props.organizationalUnitIds ?? []) {
    if (!Token.isUnresolved(ou) && !/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(ou)) {
      throw new Error(`\`organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56", got "${ou}"`);
    }
  }
  if (!props.accountIds?.length && !props.organizationalUnitIds?.length && !props.allAccounts) {
    throw new Error('An OrganizationBaseline needs targets: `accountIds`, `organizationalUnitIds` or `allAccounts: true`');
  }
  return {
    accountIds: props.accountIds ?? [],
    organizationalUnitIds: props.organizationalUnitIds ?? [],
    allAccounts: props.allAccounts ?? false,
    excludeAccountIds: props.excludeAccountIds ?? [],
  };
}

export function validateBaseline(props: OrganizationBaselineProps): BaselineDocument {
  alternateContactsByType(props.alternateContacts)
    .forEach(([type, details]) => validateAlternateContactDetails(details, `alternateContacts.${type.toLowerCase()}.`));
  if (props.primaryContact) validatePrimaryContactDetails(props.primaryContact, 'primaryContact.');
  (props.enabledRegions ?? []).forEach(region => validateRegionName('enabledRegions', region));
  const overrides: BaselineDocument['overrides'] = {};
  for (const override of props.overrides ?? []) {
    const at = `overrides[${override.accountId}].`;
    validateAccountId('overrides.accountId', override.accountId);
    if (override.accountId in overrides) {
      throw new Error(`\`overrides\` holds account ${override.accountId} twice; declare one override per account`);
    }
    alternateContactsByType(override.alternateContacts)
      .forEach(([type, details]) => validateAlternateContactDetails(details, `${at}alternateContacts.${type.toLowerCase()}.`));
    if (override.primaryContact) validatePrimaryContactDetails(override.primaryContact, `${at}primaryContact.`);
    validateAccountName(`${at}accountName`, override.accountName);
    overrides[override.accountId] = {
      alternateContacts: override.alternateContacts ? renderAlternateContacts(override.alternateContacts) : undefined,
      primaryContact: override.primaryContact ? renderPrimaryContact(override.primaryContact) : undefined,
      accountName: override.accountName,
    };
  }
  const baseline: BaselineDocument = {
    alternateContacts: renderAlternateContacts(props.alternateContacts),
    primaryContact: props.primaryContact ? renderPrimaryContact(props.primaryContact) : undefined,
    enabledRegions: props.enabledRegions ?? [],
    overrides,
  };
  const declares = Object.keys(baseline.alternateContacts).length > 0 || baseline.primaryContact !== undefined
    || baseline.enabledRegions.length > 0
    || Object.values(overrides).some(o => Object.keys(o.alternateContacts ?? {}).length > 0 || o.primaryContact || o.accountName !== undefined);
  if (!declares) {
    throw new Error('An OrganizationBaseline needs something to apply: `alternateContacts`, `primaryContact`, `enabledRegions` or `overrides`');
  }
  return baseline;
}

/** An override is for an account the baseline targets: not an excluded one, nor one outside listed accounts. */
export function validateOverridesTargeted(targets: TargetSpec, baseline: BaselineDocument): void {
  for (const accountId of Object.keys(baseline.overrides)) {
    if (Token.isUnresolved(accountId)) continue;
    if (targets.excludeAccountIds.includes(accountId)) {
      throw new Error(`\`overrides\` holds account ${accountId}, which \`excludeAccountIds\` excludes; remove the override or the exclusion`);
    }
    const onlyListed = !targets.allAccounts && targets.organizationalUnitIds.length === 0;
    if (onlyListed && !targets.accountIds.includes(accountId)) {
      throw new Error(`\`overrides\` holds account ${accountId}, which is not in \`accountIds\`; an override applies only to an account the baseline targets`);
    }
  }
}

/**
 * Explicit accounts (listed, or given an override) are known at synth: the same setting declared
 * elsewhere in the app is an error.
 */
export function validateSize(scope: Construct, targets: TargetSpec, baseline: BaselineDocument): void {
  const bytes = Buffer.byteLength(JSON.stringify(targets), 'utf8') + Buffer.byteLength(JSON.stringify(baseline), 'utf8');
  if (bytes > MAX_BASELINE_PROPERTY_BYTES) {
    throw new Error(`OrganizationBaseline ${scope.node.path} declares ${bytes.toLocaleString('en-US')} bytes of targets and values; `
      + `at most ${MAX_BASELINE_PROPERTY_BYTES.toLocaleString('en-US')} fit (an update sends the old and the new ones to the function `
      + 'in one Lambda event of at most 1 MB): split it into several baselines (for example one per OU, or one per group of '
      + 'overridden accounts with `accountIds`, the first excluding them with `excludeAccountIds`)');
  }
}

export function claimExplicitAccounts(scope: Construct, targets: TargetSpec, baseline: BaselineDocument): void {
  const explicit = new Set([...targets.accountIds, ...Object.keys(baseline.overrides)]);
  for (const accountId of explicit) {
    if (Token.isUnresolved(accountId) || targets.excludeAccountIds.includes(accountId)) continue;
    const override = baseline.overrides[accountId] ?? {};
    const listed = targets.accountIds.includes(accountId);
    // A listed account gets the whole baseline; another account's override declares only what it says.
    const types = new Set([...(listed ? Object.keys(baseline.alternateContacts) : []), ...Object.keys(override.alternateContacts ?? {})]);
    for (const type of types) claimSetting(scope, `${type.toLowerCase()} alternate contact`, accountId);
    if ((listed && baseline.primaryContact) || override.primaryContact) claimSetting(scope, 'primary contact', accountId);
    if (override.accountName !== undefined) claimSetting(scope, 'account name', accountId);
    if (listed) for (const region of baseline.enabledRegions) claimSetting(scope, `Region ${region}`, accountId);
  }
}
