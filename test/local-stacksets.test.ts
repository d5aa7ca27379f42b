/*
 * The local StackSets, through a deployed AWS::CloudFormation::StackSet as the member footprint declares
 * it: instances in each active member account under the targeted OUs (nested OUs included, filtered, never
 * the management account), following accounts that join, move, leave or are suspended (held back while
 * automatic deployment has not acted yet), re-deployed on a template update, removed with the StackSet or
 * the stack; and what CloudFormation refuses (who may create it, the template's size).
 */
import { LocalAws, LocalCloudFormation, MAX_TEMPLATE_BODY_BYTES } from '../local';
import { deployed, footprintStack, instanceAccounts, MANAGEMENT, MEMBER_ROLE, REGION, STACK_SET } from './local-stacksets-support';

const [A, B, C, D, ADMIN] = ['222222222222', '333333333333', '444444444444', '555555555555', '666666666666'];
const OU = 'ou-root0-target01';
const NESTED = 'ou-root0-nested01';
const OTHER = 'ou-root0-other001';

let aws: LocalAws;
let cfn: LocalCloudFormation;

beforeEach(async () => {
  aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: [A, B, C, D, ADMIN] });
  cfn = new LocalCloudFormation(aws);
  aws.addOrganizationalUnit(OU);
  aws.addOrganizationalUnit(NESTED, OU);
  aws.addOrganizationalUnit(OTHER);
  aws.moveAccount(A, OU);
  aws.moveAccount(B, NESTED);
  aws.moveAccount(C, OTHER);
});

afterEach(async () => {
  await aws.close();
});

const roleAccounts = () => aws.iam.rolesOf().filter(r => r.name === MEMBER_ROLE).map(r => r.accountId).sort();

describe('targets', () => {
  test('an OU reaches its accounts and its nested OUs\' accounts, and no other', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU] }))).toBe('CREATE_COMPLETE');

    expect(aws.stackSets.instances(STACK_SET)).toEqual([A, B].map(accountId => expect.objectContaining({ accountId, region: REGION, status: 'CURRENT' })));
    expect(roleAccounts()).toEqual([A, B]);
    // The member template's intrinsics are evaluated per instance: the outer stack's reconciler ARN, the rule's role.
    const role = aws.iam.role(A, MEMBER_ROLE)!;
    expect(JSON.stringify(role.assumeRolePolicy)).toMatch(new RegExp(`arn:aws:iam::${MANAGEMENT}:role/Footprint-Reconciler`));
    expect(role.policies.AccountSettings).toEqual({ Statement: [{ Effect: 'Allow', Action: ['account:PutAlternateContact'], Resource: '*' }] });
    expect(aws.iam.rolesOf(A).map(r => r.name)).toEqual([MEMBER_ROLE, expect.stringMatching(/^StackSet-MemberFootprint-[-0-9a-f]+-ForwardingRole-[0-9A-F]{12}$/)]);
  });

  test('the root reaches every active member, never the management account', async () => {
    aws.setAccountStatus(D, 'SUSPENDED');
    expect(await deployed(cfn, footprintStack(aws.rootId))).toBe('CREATE_COMPLETE');

    expect(instanceAccounts(aws)).toEqual([A, B, C, ADMIN]);
    expect(aws.iam.rolesOf(MANAGEMENT)).toEqual([]);
  });

  test.each([
    ['INTERSECTION', [B, C], [B]],
    ['DIFFERENCE', [B], [A]],
    ['UNION', [C, MANAGEMENT], [A, B, C]],
  ] as const)('AccountFilterType %s with %j, at the stack set\'s creation', async (filter, accounts, expected) => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU], filter, accounts: [...accounts] }))).toBe('CREATE_COMPLETE');
    expect(instanceAccounts(aws)).toEqual(expected);
  });

  test('Accounts without a filter type, or an OU that does not exist, fail the resource', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU], accounts: [C] }))).toMatch(/^ROLLBACK_COMPLETE: .*Accounts can be given only with/);
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: ['ou-root0-missing1'] }))).toMatch(/^ROLLBACK_COMPLETE: .*ou-root0-missing1 not found/);
  });

  test('a named role in two Regions fails in the second, as IAM roles are global', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [NESTED], regions: ['us-east-1', 'eu-west-1'] }))).toBe('CREATE_COMPLETE');
    const statuses = aws.stackSets.instances(STACK_SET).map(i => i.status).sort();
    expect(statuses).toEqual(['CURRENT', 'OUTDATED']);
    expect(aws.stackSets.instances(STACK_SET).find(i => i.status === 'OUTDATED')!.reason).toMatch(/AccountSettingsMember already exists/);
    expect(roleAccounts()).toEqual([B]);
  });
});

describe('automatic deployment', () => {
  beforeEach(async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU] }))).toBe('CREATE_COMPLETE');
  });

  test('an account that joins and moves into a targeted OU gets an instance; one that moves out loses it', async () => {
    const joined = '777777777777';
    aws.addAccount(joined, { member: true });
    expect(instanceAccounts(aws)).toEqual([A, B]);
    aws.moveAccount(joined, NESTED);
    expect(instanceAccounts(aws)).toEqual([A, B, joined]);

    aws.moveAccount(A, OTHER);
    expect(instanceAccounts(aws)).toEqual([B, joined]);
    expect(roleAccounts()).toEqual([B, joined]);
    expect(aws.iam.rolesOf(A)).toEqual([]);
  });

  test('an account that leaves the organization or is suspended loses its instance and what it created', async () => {
    aws.organization.removeMember(A);
    aws.setAccountStatus(B, 'SUSPENDED');

    expect(aws.stackSets.instances(STACK_SET)).toEqual([]);
    expect(aws.iam.rolesOf()).toEqual([]);
    expect(aws.eventBusOf(A).ruleNames()).toEqual([]);
  });

  test('held, a moved account is pending until released', async () => {
    aws.stackSets.hold();
    aws.moveAccount(C, OU);
    aws.moveAccount(A, OTHER);

    expect(aws.stackSets.pending(STACK_SET)).toEqual({ missing: [`${C}/${REGION}`], extra: [`${A}/${REGION}`] });
    expect(roleAccounts()).toEqual([A, B]);
    aws.stackSets.release();
    expect(aws.stackSets.pending(STACK_SET)).toEqual({ missing: [], extra: [] });
    expect(roleAccounts()).toEqual([B, C]);
  });

  test('it ignores the account filters, as AWS\'s does: an excluded account moved into the OU gets an instance; one excluded there stays without', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU], filter: 'DIFFERENCE', accounts: [B, C] }))).toBe('UPDATE_COMPLETE');
    expect(instanceAccounts(aws)).toEqual([A]);

    aws.moveAccount(C, NESTED);
    expect(instanceAccounts(aws)).toEqual([A, C]);
    expect(roleAccounts()).toEqual([A, C]);
    // B was under the OU when the filter was applied: no change of its own, no instance.
    aws.moveAccount(D, OU);
    expect(instanceAccounts(aws)).toEqual([A, C, D]);
    // Moved out and back in, B is an account added to the OU: it gets one too.
    aws.moveAccount(B, OTHER);
    aws.moveAccount(B, OU);
    expect(instanceAccounts(aws)).toEqual([A, B, C, D]);
  });

  test('an account added to the OU gets an instance whatever an INTERSECTION filter names; one that leaves the OU loses its own', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU], filter: 'INTERSECTION', accounts: [A] }))).toBe('UPDATE_COMPLETE');
    expect(instanceAccounts(aws)).toEqual([A]);
    const joined = '777777777777';
    aws.addAccount(joined, { member: true });
    aws.moveAccount(joined, OU);
    expect(instanceAccounts(aws)).toEqual([A, joined]);
    aws.moveAccount(A, OTHER);
    expect(instanceAccounts(aws)).toEqual([joined]);
  });

  test('automatic deployment acts autoDeployDelayMs after the change', async () => {
    jest.useFakeTimers();
    try {
      aws.stackSets.autoDeployDelayMs = 60_000;
      aws.moveAccount(C, NESTED);
      jest.advanceTimersByTime(59_999);
      expect(instanceAccounts(aws)).toEqual([A, B]);
      jest.advanceTimersByTime(1);
      expect(instanceAccounts(aws)).toEqual([A, B, C]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('updates and removal', () => {
  test('a template or target update re-deploys the instances', async () => {
    await deployed(cfn, footprintStack(aws.rootId, { ous: [OU] }));
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OTHER], actions: ['account:PutAlternateContact', 'account:PutContactInformation'] })))
      .toBe('UPDATE_COMPLETE');

    expect(instanceAccounts(aws)).toEqual([C]);
    expect(roleAccounts()).toEqual([C]);
    expect(aws.iam.role(C, MEMBER_ROLE)!.policies.AccountSettings.Statement).toEqual([
      { Effect: 'Allow', Action: ['account:PutAlternateContact', 'account:PutContactInformation'], Resource: '*' },
    ]);
  });

  test('a new StackSetName replaces the stack set: the old one\'s instances go', async () => {
    await deployed(cfn, footprintStack(aws.rootId, { ous: [OU] }));
    expect(await deployed(cfn, footprintStack(aws.rootId, { ous: [OU], stackSetName: 'Renamed' }))).toBe('UPDATE_COMPLETE');

    expect(aws.stackSets.names()).toEqual(['Renamed']);
    expect(aws.stackSets.instances('Renamed').map(i => i.accountId)).toEqual([A, B]);
    expect(roleAccounts()).toEqual([A, B]);
    expect(aws.iam.rolesOf(A).map(r => r.name)).toEqual([MEMBER_ROLE, expect.stringMatching(/^StackSet-Renamed-/)]);
  });

  test('removing the StackSet from the stack, or deleting the stack, removes every instance', async () => {
    await deployed(cfn, footprintStack(aws.rootId));
    expect(await deployed(cfn, footprintStack(aws.rootId, { withoutStackSet: true }))).toBe('UPDATE_COMPLETE');
    expect(aws.stackSets.names()).toEqual([]);
    expect(aws.iam.rolesOf()).toEqual([]);

    await deployed(cfn, footprintStack(aws.rootId));
    expect(instanceAccounts(aws)).toEqual([A, B, C, D, ADMIN]);
    expect((await cfn.destroy('Footprint')).status).toBe('DELETE_COMPLETE');
    expect(aws.stackSets.names()).toEqual([]);
    expect(aws.iam.rolesOf()).toEqual([]);
    expect([A, B, C, D, ADMIN].flatMap(id => aws.eventBusOf(id).ruleNames())).toEqual([]);
  });
});

describe('what CloudFormation refuses', () => {
  test('DELEGATED_ADMIN only from the CloudFormation delegated administrator; SELF only from the management account', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { account: ADMIN, callAs: 'DELEGATED_ADMIN' })))
      .toMatch(/^ROLLBACK_COMPLETE: Resource handler returned message: "Account used is not a delegated administrator/);
    expect(await deployed(cfn, footprintStack(aws.rootId, { callAs: 'DELEGATED_ADMIN' }))).toMatch(/not a delegated administrator/);

    aws.cloudFormationDelegatedAdminAccountId = ADMIN;
    expect(await deployed(cfn, footprintStack(aws.rootId, { account: ADMIN, callAs: 'SELF' })))
      .toMatch(/You must be the management account or delegated admin account of an organization before operating a SERVICE_MANAGED stack set/);
    expect(await deployed(cfn, footprintStack(aws.rootId, { account: ADMIN, callAs: 'DELEGATED_ADMIN' }))).toBe('CREATE_COMPLETE');
    // Service-managed instances never go to the management account, whoever administers the stack set; the administrator's own account is a member.
    expect(instanceAccounts(aws)).toEqual([A, B, C, D, ADMIN]);
    // Only the administrator's own instance fails: its forwarding rule would target the bus it is on.
    expect(aws.stackSets.instances(STACK_SET).filter(i => i.status !== 'CURRENT').map(i => i.accountId)).toEqual([ADMIN]);
  });

  test(`a TemplateBody over ${MAX_TEMPLATE_BODY_BYTES} bytes is refused`, async () => {
    await deployed(cfn, footprintStack(aws.rootId));
    const base = Buffer.byteLength(cfn.resourceProperties('Footprint', 'Footprint').TemplateBody);
    // The Description member adds its own bytes besides the padding.
    const fits = MAX_TEMPLATE_BODY_BYTES - base - '"Description":"",'.length;
    expect(await deployed(cfn, footprintStack(aws.rootId, { padding: fits }))).toBe('UPDATE_COMPLETE');
    expect(Buffer.byteLength(cfn.resourceProperties('Footprint', 'Footprint').TemplateBody)).toBe(MAX_TEMPLATE_BODY_BYTES);
    expect(await deployed(cfn, footprintStack(aws.rootId, { padding: fits + 1 })))
      .toMatch(/^UPDATE_ROLLBACK_COMPLETE: .*Member must have length less than or equal to 51200/);
  });
});
