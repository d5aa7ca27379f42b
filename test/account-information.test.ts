/*
 * AccountInformation (issue 19): GetAccountInformation's name, creation date and state as attributes a
 * stack can use. Synthesized (resource, permissions, validation), then deployed through local/ (the
 * settings function's real bundle, the local Account Management and CloudFormation APIs).
 */
import { CfnOutput, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MEMBER_ACCOUNT, logicalIdOf, newStack } from './constructs-support';
import { accountApiStatements, asArray, memberArn, standaloneArn } from './iam';
import { captureConsole, Local, MANAGEMENT, physicalIds, stackOf, startLocal, stopLocal } from './support';
import { LocalCloudFormation } from '../local';
import { AccountInformation, AccountName } from '../src';
import { RESOURCE_TYPES } from '../src/contract';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('synthesized', () => {
  test('a Custom::AccountInformation served by the settings function, its attributes Fn::GetAtt of the resource', () => {
    const stack = newStack();
    const info = new AccountInformation(stack, 'Member', { accountId: MEMBER_ACCOUNT, refreshToken: 'build-42' });
    new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    const template = Template.fromStack(stack);
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
    const id = logicalIdOf(template, RESOURCE_TYPES.accountInformation, {});

    expect(RESOURCE_TYPES.accountInformation).toBe('Custom::AccountInformation');
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(template.toJSON().Resources[id].Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [handler, 'Arn'] }, ServiceTimeout: expect.any(String), AccountId: MEMBER_ACCOUNT, RefreshToken: 'build-42',
    });
    expect(stack.resolve([info.accountName, info.accountCreatedDate, info.accountState, info.attrAccountId])).toEqual(
      ['AccountName', 'AccountCreatedDate', 'AccountState', 'AccountId'].map(attribute => ({ 'Fn::GetAtt': [id, attribute] })),
    );
  });

  test('without accountId it reads the deploying account: no AccountId property', () => {
    const stack = newStack();
    new AccountInformation(stack, 'Own');
    const template = Template.fromStack(stack);
    const id = logicalIdOf(template, RESOURCE_TYPES.accountInformation, {});

    expect(Object.keys(template.toJSON().Resources[id].Properties).sort()).toEqual(['ServiceTimeout', 'ServiceToken']);
  });

  test('the handler may call only account:GetAccountInformation, on the accounts read', () => {
    const stack = newStack();
    new AccountInformation(stack, 'Own');
    new AccountInformation(stack, 'Member', { accountId: MEMBER_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));

    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({ Effect: 'Allow', Action: 'account:GetAccountInformation', Resource: expect.anything() });
    expect(asArray(statements[0].Resource)).toHaveLength(2);
    expect(asArray(statements[0].Resource)).toEqual(expect.arrayContaining([standaloneArn(), memberArn(MEMBER_ACCOUNT)]));
  });

  test.each(['12345', '1234567890123', 'abcdefghijkl'])('accountId "%s" is refused at synth, naming the property, the value and what is allowed', (accountId) => {
    expect(() => new AccountInformation(newStack(), 'Info', { accountId })).toThrow(`\`accountId\` must be a 12-digit AWS account id, got "${accountId}"`);
  });

  test('an accountId resolved at deploy (a parameter) is not validated at synth', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'Account').valueAsString;
    new AccountInformation(stack, 'Info', { accountId });
    const template = Template.fromStack(stack);

    template.hasResourceProperties(RESOURCE_TYPES.accountInformation, { AccountId: { Ref: 'Account' } });
  });
});

describe('deployed', () => {
  const MEMBER_A = '222222222222';
  const MEMBER_B = '333333333333';
  const NAME = 'workload-prod';
  const CREATED = '2023-04-05T06:07:08Z';

  jest.setTimeout(60_000);

  let local: Local;
  let cfn: LocalCloudFormation;

  beforeAll(async () => {
    local = await startLocal({ memberAccountIds: [MEMBER_A, MEMBER_B] }, 50);
  });

  afterAll(async () => {
    await stopLocal(local);
  });

  beforeEach(() => {
    jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
    const member = local.aws.account(MEMBER_A);
    member.name = NAME;
    member.createdDate = CREATED;
    member.state = undefined;
    local.aws.clearCalls();
    cfn = new LocalCloudFormation(local.aws);
  });

  /** The member's information, its state as an output and its name copied to MEMBER_B's AccountName. */
  function informationStack(refreshToken?: string): Stack {
    return stackOf(stack => {
      const info = new AccountInformation(stack, 'Member', { accountId: MEMBER_A, refreshToken });
      new CfnOutput(stack, 'MemberState', { value: info.accountState });
      new CfnOutput(stack, 'MemberCreated', { value: info.accountCreatedDate });
      new AccountName(stack, 'Copy', { accountId: MEMBER_B, accountName: info.accountName });
    });
  }

  /** An output of the deployed stack: its value is a Fn::GetAtt, resolved against the deployed resource. */
  function outputOf(stack: Stack, name: string): string {
    const [logicalId, attribute] = (Template.fromStack(stack).toJSON().Outputs[name].Value as Json)['Fn::GetAtt'];
    return cfn.resource('Settings', logicalId)!.attributes[attribute];
  }

  test('a member\'s name, creation date and state reach the stack\'s outputs and another resource; nothing is written to it', async () => {
    const stack = informationStack();
    const { result, output } = await captureConsole(() => cfn.deploy(stack));

    expect(result?.status).toBe('CREATE_COMPLETE');
    expect(outputOf(stack, 'MemberState')).toBe('ACTIVE');
    expect(new Date(outputOf(stack, 'MemberCreated')).toISOString()).toBe(new Date(CREATED).toISOString());
    expect(local.aws.account(MEMBER_B).name).toBe(NAME);
    expect(physicalIds(cfn)).toContain(`${MEMBER_A}/account-information`);
    expect(local.aws.callsOf('GetAccountInformation').filter(c => c.target === MEMBER_A).map(c => c.accountIdParameter)).toEqual([MEMBER_A]);
    expect(local.aws.callsOf('PutAccountName').map(c => c.target)).toEqual([MEMBER_B]);
    // The account name is no contact value, but the log keeps to what it needs: the resource's outcome.
    expect(output).toMatch(/"setting":"account information"[^\n]*"outcome":"read"/);
    expect(output).not.toContain(NAME);
  });

  test('the values are read when the resource is created or updated: a new refreshToken reads a changed state', async () => {
    await cfn.deploy(informationStack('1'));
    local.aws.account(MEMBER_A).state = 'SUSPENDED';

    const unchanged = informationStack('1');
    expect((await cfn.deploy(unchanged)).status).toBe('UPDATE_COMPLETE');
    expect(outputOf(unchanged, 'MemberState')).toBe('ACTIVE');

    const refreshed = informationStack('2');
    const { result } = await captureConsole(() => cfn.deploy(refreshed));
    expect(result?.status).toBe('UPDATE_COMPLETE');
    expect(outputOf(refreshed, 'MemberState')).toBe('SUSPENDED');
  });

  test('without accountId the deploying account is read in standalone context, and a Delete reads and writes nothing', async () => {
    local.aws.account(MANAGEMENT).name = 'management';
    const stack = stackOf(s => {
      new CfnOutput(s, 'Name', { value: new AccountInformation(s, 'Own').accountName });
    });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    expect(outputOf(stack, 'Name')).toBe('management');
    expect(local.aws.callsOf('GetAccountInformation').map(c => [c.target, c.accountIdParameter])).toEqual([[MANAGEMENT, undefined]]);

    local.aws.clearCalls();
    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');
    expect(local.aws.calls.filter(c => !c.operation.includes(':'))).toEqual([]);
  });

  test('a forged Create of the type, with an invented logical id, reads nothing and answers nothing', async () => {
    const stack = informationStack();
    await cfn.deploy(stack);
    const resource = stack.node.findAll()
      .find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === RESOURCE_TYPES.accountInformation)!;
    const functionArn = String(cfn.resourceProperties('Settings', stack.getLogicalId(resource)).ServiceToken);
    local.aws.clearCalls();
    const requestId = 'forged-information';
    await local.aws.lambda.invoke(functionArn, {
      RequestType: 'Create',
      ServiceToken: functionArn,
      StackId: cfn.stackOf('Settings').stackId,
      RequestId: requestId,
      ResponseURL: `${local.aws.endpoint}/cloudformation-response/Settings/forged/${requestId}`,
      LogicalResourceId: 'Invented',
      ResourceType: RESOURCE_TYPES.accountInformation,
      ResourceProperties: { AccountId: MEMBER_B },
    });

    expect(local.aws.callsOf('GetAccountInformation')).toEqual([]);
    expect(local.aws.cloudFormation.responses.filter(r => r.RequestId === requestId)).toEqual([]);
  });
});
