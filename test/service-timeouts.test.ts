/*
 * How long CloudFormation waits for each custom resource (its ServiceTimeout), the waiter's rule that
 * answers for executions that end without answering, and the bounds an invocation keeps for its answer.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MEMBER_A, PRIMARY_CONTACT, SECURITY } from './fixtures';
import { stackOf } from './support';
import { REQUEST_TIMEOUT_MS, RESERVE_MS } from '../lambda/shared/clients';
import { respond, RESPONSE_WITHIN_MS } from '../lambda/shared/response';
import {
  AccountName, AlternateContact, AlternateContactType, OrganizationBaseline, PrimaryContact, RegionOptIn,
} from '../src';
import { LOCAL_RESPONSE_URL_ENV, RESOURCE_TYPES } from '../src/contract';

describe('every custom resource has a ServiceTimeout that fits what it does', () => {
  const stack = stackOf(s => {
    new AlternateContact(s, 'Security', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
    new PrimaryContact(s, 'Primary', { accountId: MEMBER_A, ...PRIMARY_CONTACT });
    new AccountName(s, 'Name', { accountId: MEMBER_A, accountName: 'workload-a' });
    new RegionOptIn(s, 'DefaultRegion', { accountId: MEMBER_A, regionName: 'af-south-1' });
    new RegionOptIn(s, 'ShortRegion', { accountId: MEMBER_A, regionName: 'ap-east-1', timeout: Duration.minutes(10) });
    new OrganizationBaseline(s, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { billing: SECURITY } });
  });
  type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const resources = Object.values(Template.fromStack(stack).toJSON().Resources as Resources).filter(r => r.Type.startsWith('Custom::'));

  test('each kind, with its value in seconds', () => {
    const timeouts = resources.map(r => [r.Type, r.Properties.TimeoutSeconds ?? '-', r.Properties.ServiceTimeout]);
    expect(timeouts.sort()).toEqual([
      // A single setting and the baselines' store: the function's 15 minutes, its answer, Lambda's queue.
      [RESOURCE_TYPES.accountName, '-', '1800'],
      [RESOURCE_TYPES.alternateContact, '-', '1800'],
      [RESOURCE_TYPES.baselineStore, '-', '1800'],
      // The reconciler answers 55 minutes after the request at the latest: CloudFormation's hour.
      [RESOURCE_TYPES.organizationBaseline, '-', '3600'],
      // A Region: its timeout (counted from the request), then 5 minutes for the last step; an hour at most.
      [RESOURCE_TYPES.primaryContact, '-', '1800'],
      [RESOURCE_TYPES.regionOptIn, '3300', '3600'],
      [RESOURCE_TYPES.regionOptIn, '600', '900'],
      // The Regions' response store: emptied within the function's 15 minutes, as the baselines' store.
      [RESOURCE_TYPES.regionResponseStore, '-', '1800'],
    ].sort());
  });

  test('none waits for CloudFormation\'s default hour unless it may need it', () => {
    for (const resource of resources) expect(Number(resource.Properties.ServiceTimeout)).toBeLessThanOrEqual(3600);
  });

  test('the waiter\'s rule hands both served functions the unsuccessful ends of the waiter\'s executions, and nothing else', () => {
    const template = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const machine = Object.entries(template).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')![0];
    const rules = Object.values(template).filter(r => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern?.source?.[0] === 'aws.states');
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toEqual({
      'source': ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      'detail': { stateMachineArn: [{ Ref: machine }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    const functions = Object.entries(template).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.WAITER_STATE_MACHINE_ARN)
      .map(([id]) => id).sort();
    expect(functions).toHaveLength(2);
    expect(rules[0].Properties.Targets.map((t: any) => [t.Arn['Fn::GetAtt'][0], t.Input, t.RetryPolicy]).sort()).toEqual(functions.map(id =>
      [id, undefined, { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 }]));
  });
});

describe('an invocation keeps time for its answer', () => {
  test('the reserve covers one attempt started at the deadline (its connection and its request) and the answer after it', () => {
    expect(RESERVE_MS).toBeGreaterThanOrEqual(5_000 + REQUEST_TIMEOUT_MS + RESPONSE_WITHIN_MS);
  });

  test('an answer whose PUTs hang gives up before the invocation ends', async () => {
    const scale = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1';
    const hung: http.ServerResponse[] = [];
    const server = http.createServer((_req, res) => hung.push(res)); // never answers
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const until = started + 2_000;
      const target = { ResponseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`, StackId: 's', RequestId: 'r', LogicalResourceId: 'l' };
      // The hung server stands for CloudFormation's endpoint, as the local deployment engine allows its own.
      process.env[LOCAL_RESPONSE_URL_ENV] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      await expect(respond(target, { Status: 'SUCCESS', PhysicalResourceId: 'p' }, until)).rejects.toThrow('timed out');
      // The last attempt ends a margin (1 s) before the invocation's end.
      expect(Date.now()).toBeLessThan(until);
    } finally {
      hung.forEach(res => res.destroy());
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
      delete process.env[LOCAL_RESPONSE_URL_ENV];
      if (scale === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
      else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scale;
    }
  });
});
