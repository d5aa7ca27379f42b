/*
 * An OrganizationBaseline's targets and values travel in its custom resource's properties, and an update
 * sends the old and the new ones to the function in one asynchronous Lambda event (at most 1 MB): a
 * baseline too large for that fails at synth, saying what to do, and `import --organization` splits a
 * heterogeneous organization over several baselines instead of producing one. The generated source is
 * transpiled and run against this package's constructs, and synthesized.
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ts from 'typescript';
import { AccountSettings, organizationSource } from '../cli/import';
import { OrganizationBaseline } from '../src';
import { MAX_BASELINE_PROPERTY_BYTES } from '../src/contract';

/** `count` accounts, each with a SECURITY contact of its own (nothing shared: every one is an override). */
function heterogeneous(count: number): AccountSettings[] {
  return Array.from({ length: count }, (_, i) => {
    const accountId = String(300000000000 + i);
    return {
      accountId,
      contacts: {
        SECURITY: { Name: `Security desk of account ${accountId}`, Title: 'Duty officer', EmailAddress: `security+${accountId}@example.com`, PhoneNumber: `+1 206-555-${String(i % 10000).padStart(4, '0')}` },
        BILLING: { Name: 'Accounts Payable', Title: 'Finance', EmailAddress: 'billing@example.com', PhoneNumber: '+1 206-555-0101' },
      },
      enabledRegions: [],
    };
  });
}

/** Runs the generated source (transpiled) with `cdk-account-management` resolved to this package's sources, and synthesizes it. */
function synthesize(source: string): Record<string, { Type: string; Properties: Record<string, unknown> }> {
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } });
  const module = { exports: {} as Record<string, new (scope: App, id: string, props: object) => Stack> };
  const load = (name: string) => require(name === 'cdk-account-management' ? path.join(__dirname, '..', 'src') : name); // eslint-disable-line @typescript-eslint/no-require-imports
  new Function('exports', 'require', 'module', outputText)(module.exports, load, module);
  const app = new App();
  const stack = new module.exports.ImportedAccountSettings(app, 'Imported', { env: { account: '111111111111', region: 'us-east-1' } });
  return app.synth().getStackArtifact(stack.artifactId).template.Resources;
}

test('a baseline whose declarations exceed what one Lambda event carries fails at synth, naming the limit and what to do', () => {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const accounts = heterogeneous(3_000);
  expect(() => new OrganizationBaseline(stack, 'Everyone', {
    allAccounts: true,
    overrides: accounts.map(a => ({
      accountId: a.accountId,
      alternateContacts: { security: { name: a.contacts.SECURITY!.Name!, title: 'Duty officer', emailAddress: a.contacts.SECURITY!.EmailAddress!, phoneNumber: a.contacts.SECURITY!.PhoneNumber! } },
    })),
  })).toThrow(/OrganizationBaseline Stack\/Everyone declares [\d,]+ bytes of targets and values; at most 450,000 fit .* split it into several baselines/);
});

test('import --organization splits a heterogeneous organization over baselines that each fit, and together cover every account once', () => {
  const accounts = heterogeneous(3_000);
  const resources = Object.values(synthesize(organizationSource(accounts, { organizationalUnitIds: [] }, { account: '111111111111', region: 'us-east-1' })));
  const baselines = resources.filter(r => r.Type === 'Custom::AccountOrganizationBaseline');

  expect(baselines.length).toBeGreaterThan(1);
  const overridden: string[] = [];
  const excluded: string[] = [];
  const listed: string[] = [];
  for (const { Properties: properties } of baselines) {
    const targets = JSON.parse(properties.Targets as string);
    const document = JSON.parse(properties.Baseline as string);
    expect((properties.Targets as string).length + (properties.Baseline as string).length).toBeLessThanOrEqual(MAX_BASELINE_PROPERTY_BYTES);
    expect(document.alternateContacts.BILLING.EmailAddress).toBe('billing@example.com');
    overridden.push(...Object.keys(document.overrides));
    if (targets.allAccounts) {
      excluded.push(...targets.excludeAccountIds);
    } else {
      expect([...targets.accountIds].sort()).toEqual(Object.keys(document.overrides).sort());
      listed.push(...targets.accountIds);
    }
  }
  // The first baseline excludes exactly what the others list; each account is overridden once, but the one whose contact became the default.
  expect(excluded.sort()).toEqual(listed.sort());
  expect(new Set(overridden).size).toBe(overridden.length);
  expect(overridden.length).toBe(accounts.length - 1);
});

test('a homogeneous organization stays one baseline', () => {
  const accounts = heterogeneous(50).map(a => ({ ...a, contacts: { BILLING: a.contacts.BILLING } }));
  const baselines = Object.values(synthesize(organizationSource(accounts, { organizationalUnitIds: [] }, { account: '111111111111', region: 'us-east-1' })))
    .filter(r => r.Type === 'Custom::AccountOrganizationBaseline');

  expect(baselines).toHaveLength(1);
});
