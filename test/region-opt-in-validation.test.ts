import { App, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RegionOptIn, RegionOptInProps } from '../src';
import {
  CUSTOM_RESOURCE_TYPE, DUPLICATE_MESSAGE, ENABLED_BY_DEFAULT_MESSAGE, ENV, expectExactError, MEMBER_A, MEMBER_B, MEMBER_REGIONS, newStack,
  POLL_INTERVAL_MESSAGE, REGION_MESSAGE, STACK_ACCOUNT, TIMEOUT_MESSAGE,
} from './region-opt-in-support';

/* RegionOptIn: the props it rejects, and one declaration per Region and account. */

describe('RegionOptIn validation', () => {
  const lengthMessage = (value: string) => `\`regionName\` must be 1-50 characters, got ${value.length}: "${value}"`;
  const patternMessage = (property: string, allowed: string, value: string) => `\`${property}\` must be ${allowed}, got "${value}"`;

  test.each<[string, Partial<RegionOptInProps>, string]>([
    ['an empty regionName', { regionName: '' }, lengthMessage('')],
    ['a 51-character regionName', { regionName: `af-south-${'1'.repeat(42)}` }, lengthMessage(`af-south-${'1'.repeat(42)}`)],
    ['a regionName in capitals', { regionName: 'AF-SOUTH-1' }, patternMessage('regionName', REGION_MESSAGE, 'AF-SOUTH-1')],
    ['a regionName with underscores', { regionName: 'af_south_1' }, patternMessage('regionName', REGION_MESSAGE, 'af_south_1')],
    ['a regionName that is not a Region code', { regionName: 'mars' }, patternMessage('regionName', REGION_MESSAGE, 'mars')],
    ['a regionName without its number', { regionName: 'af-south' }, patternMessage('regionName', REGION_MESSAGE, 'af-south')],
    ['a regionName with a three-digit number', { regionName: 'af-south-100' },
      patternMessage('regionName', REGION_MESSAGE, 'af-south-100')],
    ['a regionName with a trailing space', { regionName: 'af-south-1 ' }, patternMessage('regionName', REGION_MESSAGE, 'af-south-1 ')],
    ['an availability zone', { regionName: 'af-south-1a' }, patternMessage('regionName', REGION_MESSAGE, 'af-south-1a')],
    ['an 11-digit accountId', { accountId: '12345678901' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901')],
    ['an accountId with dashes', { accountId: '2222-2222-2222' },
      patternMessage('accountId', 'a 12-digit AWS account id', '2222-2222-2222')],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got snapshot'],
    ['removalPolicy RETAIN_ON_UPDATE_OR_DELETE', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got retain-on-update-or-delete'],
    ['a timeout of 59 seconds', { timeout: Duration.seconds(59) }, TIMEOUT_MESSAGE('59 seconds')],
    ['a timeout of 56 minutes', { timeout: Duration.minutes(56) }, TIMEOUT_MESSAGE('56 minutes')],
    ['a timeout of 55 minutes and 1 second', { timeout: Duration.seconds(3301) }, TIMEOUT_MESSAGE('55 minutes 1 second')],
    ['a timeout of 2 hours', { timeout: Duration.hours(2) }, TIMEOUT_MESSAGE('2 hours')],
    ['a pollInterval of 0 seconds', { pollInterval: Duration.seconds(0) }, POLL_INTERVAL_MESSAGE('0 seconds')],
    ['a pollInterval of 5 seconds', { pollInterval: Duration.seconds(5) }, POLL_INTERVAL_MESSAGE('5 seconds')],
    ['a pollInterval of 9 seconds', { pollInterval: Duration.seconds(9) }, POLL_INTERVAL_MESSAGE('9 seconds')],
    ['a pollInterval of 9,000 milliseconds', { pollInterval: Duration.millis(9000) }, POLL_INTERVAL_MESSAGE('9 seconds')],
    ['a pollInterval of 5 minutes and 1 second', { pollInterval: Duration.seconds(301) }, POLL_INTERVAL_MESSAGE('5 minutes 1 second')],
    ['a pollInterval of 6 minutes', { pollInterval: Duration.minutes(6) }, POLL_INTERVAL_MESSAGE('6 minutes')],
    ['a pollInterval of 1 hour', { pollInterval: Duration.hours(1) }, POLL_INTERVAL_MESSAGE('1 hour')],
  ])('rejects %s', (_case, override, message) => {
    const stack = newStack();
    expectExactError(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', ...override }), message);
  });

  test.each<[string, Partial<RegionOptInProps>]>([
    ['af-south-1', { regionName: 'af-south-1' }],
    ['a GovCloud Region code (us-gov-west-1)', { regionName: 'us-gov-west-1' }],
    ['a Region code with a three-part name (ap-southeast-4)', { regionName: 'ap-southeast-4' }],
    ['an isolated-partition Region code (eu-isoe-west-1)', { regionName: 'eu-isoe-west-1' }],
    ['a two-digit Region number', { regionName: 'ap-southeast-10' }],
    ['a 12-digit accountId', { accountId: MEMBER_A }],
    ['the stack\'s own account as accountId', { accountId: STACK_ACCOUNT }],
    ['removalPolicy DESTROY', { removalPolicy: RemovalPolicy.DESTROY }],
    ['removalPolicy RETAIN', { removalPolicy: RemovalPolicy.RETAIN }],
    ['a timeout of 1 minute', { timeout: Duration.minutes(1) }],
    ['a timeout of 55 minutes', { timeout: Duration.minutes(55) }],
    ['a pollInterval of 10 seconds', { pollInterval: Duration.seconds(10) }],
    ['a pollInterval of 10,000 milliseconds', { pollInterval: Duration.millis(10000) }],
    ['a pollInterval of 5 minutes', { pollInterval: Duration.minutes(5) }],
    ['a pollInterval of 300 seconds', { pollInterval: Duration.seconds(300) }],
    ['a pollInterval that does not divide the hour (70 seconds)', { pollInterval: Duration.seconds(70) }],
    ['enabling a Region that is enabled by default (us-east-1)', { regionName: 'us-east-1', enabled: true }],
    ['disabling an opt-in Region', { regionName: 'af-south-1', enabled: false }],
    ['waitForCompletion false', { waitForCompletion: false }],
  ])('accepts %s', (_case, override) => {
    const stack = newStack();
    expect(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', ...override })).not.toThrow();
  });

  test.each(RegionOptIn.REGIONS_ENABLED_BY_DEFAULT)('rejects disabling %s, a Region enabled by default', (regionName) => {
    const stack = newStack();
    expectExactError(() => new RegionOptIn(stack, 'Region', { regionName, enabled: false }), ENABLED_BY_DEFAULT_MESSAGE(regionName));
  });

  test('the Regions enabled by default are the 17 introduced before March 20, 2019', () => {
    expect([...RegionOptIn.REGIONS_ENABLED_BY_DEFAULT].sort()).toEqual([
      'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2',
      'ca-central-1', 'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1',
      'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
    ]);
  });

  test('skips a pollInterval that is a token, and passes it to the handler as PollIntervalSeconds', () => {
    const stack = newStack();
    const seconds = new CfnParameter(stack, 'PollSeconds', { type: 'Number' }).valueAsNumber;
    expect(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', pollInterval: Duration.seconds(seconds) })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties(CUSTOM_RESOURCE_TYPE, { PollIntervalSeconds: { Ref: 'PollSeconds' } });
  });

  test('skips values that are tokens, including the enabled-by-default check', () => {
    const stack = newStack();
    expect(() => new RegionOptIn(stack, 'Region', {
      regionName: new CfnParameter(stack, 'RegionName').valueAsString,
      accountId: new CfnParameter(stack, 'AccountId').valueAsString,
      enabled: false,
      timeout: Duration.seconds(new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' }).valueAsNumber),
      pollInterval: Duration.seconds(new CfnParameter(stack, 'PollSeconds', { type: 'Number' }).valueAsNumber),
    })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties(CUSTOM_RESOURCE_TYPE, {
      RegionName: { Ref: 'RegionName' },
      AccountId: { Ref: 'AccountId' },
      Enabled: 'false',
      TimeoutSeconds: { Ref: 'TimeoutSeconds' },
      PollIntervalSeconds: { Ref: 'PollSeconds' },
    });
  });
});

describe('one declaration per Region and account', () => {
  test('the same Region of the same member account twice in one stack is an error', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'First', { regionName: 'af-south-1', accountId: MEMBER_A });
    expectExactError(
      () => new RegionOptIn(stack, 'Second', { regionName: 'af-south-1', accountId: MEMBER_A }),
      DUPLICATE_MESSAGE('af-south-1', `account ${MEMBER_A}`, 'Stack/First', 'Stack/Second'),
    );
  });

  test('declaring a Region enabled and disabled for the same account is the same conflict', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'Enabled', { regionName: 'me-south-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Disabled', { regionName: 'me-south-1', enabled: false }),
      DUPLICATE_MESSAGE('me-south-1', `account ${STACK_ACCOUNT}`, 'Stack/Enabled', 'Stack/Disabled'),
    );
  });

  test('a Region without accountId and the same Region naming the stack\'s account are the same setting', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'Standalone', { regionName: 'ap-east-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Explicit', { regionName: 'ap-east-1', accountId: STACK_ACCOUNT }),
      DUPLICATE_MESSAGE('ap-east-1', `account ${STACK_ACCOUNT}`, 'Stack/Standalone', 'Stack/Explicit'),
    );
  });

  test('two stacks of one app cannot declare the same Region of the same account', () => {
    const app = new App();
    const first = new Stack(app, 'First', { env: ENV });
    const second = new Stack(app, 'Second', { env: { ...ENV, region: 'eu-west-1' } });
    new RegionOptIn(first, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A });
    expectExactError(
      () => new RegionOptIn(second, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A }),
      DUPLICATE_MESSAGE('af-south-1', `account ${MEMBER_A}`, 'First/CapeTown', 'Second/CapeTown'),
    );
  });

  test('an environment-agnostic stack cannot declare the same Region twice for its account', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new RegionOptIn(stack, 'First', { regionName: 'af-south-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Second', { regionName: 'af-south-1' }),
      DUPLICATE_MESSAGE('af-south-1', 'the account that stack Agnostic deploys to', 'Agnostic/First', 'Agnostic/Second'),
    );
  });

  test('the same Region of different accounts is allowed', () => {
    const stack = newStack();
    expect(() => {
      new RegionOptIn(stack, 'Own', { regionName: 'af-south-1' });
      new RegionOptIn(stack, 'MemberA', { regionName: 'af-south-1', accountId: MEMBER_A });
      new RegionOptIn(stack, 'MemberB', { regionName: 'af-south-1', accountId: MEMBER_B });
    }).not.toThrow();
  });

  test('different Regions of one account are allowed', () => {
    const stack = newStack();
    expect(() => {
      for (const regionName of MEMBER_REGIONS) new RegionOptIn(stack, regionName, { regionName, accountId: MEMBER_A });
    }).not.toThrow();
  });

  test('Regions given as different tokens are not compared', () => {
    const stack = newStack();
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName: new CfnParameter(stack, 'FirstRegion').valueAsString });
      new RegionOptIn(stack, 'Second', { regionName: new CfnParameter(stack, 'SecondRegion').valueAsString });
    }).not.toThrow();
  });

  test('the same regionName token twice is not recorded, so it does not conflict', () => {
    const stack = newStack();
    const regionName = new CfnParameter(stack, 'RegionName').valueAsString;
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName });
      new RegionOptIn(stack, 'Second', { regionName });
      new RegionOptIn(stack, 'MemberFirst', { regionName, accountId: MEMBER_A });
      new RegionOptIn(stack, 'MemberSecond', { regionName, accountId: MEMBER_A });
    }).not.toThrow();
    Template.fromStack(stack).resourceCountIs(CUSTOM_RESOURCE_TYPE, 4);
  });

  test('an accountId given as a token is not compared', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'AccountId').valueAsString;
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName: 'af-south-1', accountId });
      new RegionOptIn(stack, 'Second', { regionName: 'af-south-1', accountId });
      new RegionOptIn(stack, 'Standalone', { regionName: 'af-south-1' });
    }).not.toThrow();
  });

  test('declarations in different apps do not conflict', () => {
    expect(() => {
      new RegionOptIn(newStack(), 'CapeTown', { regionName: 'af-south-1' });
      new RegionOptIn(newStack(), 'CapeTown', { regionName: 'af-south-1' });
    }).not.toThrow();
  });
});
