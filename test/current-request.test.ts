/*
 * currentRequest (lambda/shared/stack.ts) with a mocked CloudFormation client: how a request tells that it
 * is still the one CloudFormation waits for, from the resource's status and, for an Update, from the
 * properties of the resource's latest stack event (the rollback's own Update and a late delivery of the
 * failed Update both find the resource UPDATE_IN_PROGRESS).
 */
import {
  CloudFormationServiceException,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ResourceStatus,
  StackEvent,
} from '@aws-sdk/client-cloudformation';
import 'aws-sdk-client-mock-jest';
import { mockCloudFormation } from './cloudformation-mock';
import { Invocation } from '../lambda/shared/clients';
import { checkCurrentRequest, currentRequest, StackRequest } from '../lambda/shared/stack';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:111111111111:stack/baseline/1';
const SINCE = new Date('2024-01-01T00:00:00.000Z');
const MARKER = { status: 'UPDATE_IN_PROGRESS', since: SINCE.toISOString() };
const NEW_VALUES = { ServiceToken: 'token', Name: 'After', Retries: '3' };
const OLD_VALUES = { ServiceToken: 'token', Name: 'Before', Retries: '3' };

const cloudFormation = mockCloudFormation();

const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
beforeAll(() => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1000';
});
afterAll(() => {
  cloudFormation.restore();
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

/** The stack's status: its events are read only while it rolls back. */
function stackIn(status: string) {
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'baseline', CreationTime: SINCE, StackStatus: status as never }] });
}

beforeEach(() => {
  cloudFormation.reset();
  stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
  cloudFormation.on(DescribeStackResourceCommand).resolves({
    StackResourceDetail: { LogicalResourceId: 'Security', ResourceType: 'Custom::AccountAlternateContact', ResourceStatus: 'UPDATE_IN_PROGRESS', LastUpdatedTimestamp: SINCE },
  });
});

const invocation = () => new Invocation({ invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:handler', getRemainingTimeInMillis: () => 60_000 });

function update(properties: object): StackRequest {
  return { StackId: STACK_ID, LogicalResourceId: 'Security', RequestType: 'Update', ResourceProperties: properties };
}

function event(logicalId: string, status: string, properties?: object): StackEvent {
  return {
    StackId: STACK_ID,
    StackName: 'baseline',
    EventId: `${logicalId}-${status}`,
    Timestamp: SINCE,
    LogicalResourceId: logicalId,
    ResourceStatus: status as ResourceStatus,
    ...(properties ? { ResourceProperties: JSON.stringify(properties) } : {}),
  };
}

describe('an Update request while its resource is UPDATE_IN_PROGRESS and the stack rolls back', () => {
  test('is current when the latest IN_PROGRESS event of the resource applies its properties (scalars as strings, any key order)', async () => {
    cloudFormation.on(DescribeStackEventsCommand).resolves({
      StackEvents: [event('Other', 'UPDATE_IN_PROGRESS', { Name: 'x' }), event('Security', 'UPDATE_IN_PROGRESS', { Retries: 3, Name: 'After', ServiceToken: 'token' })],
    });

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: MARKER });
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStackEventsCommand, { StackName: STACK_ID });
  });

  test('is not current when CloudFormation applies other properties (the rollback\'s Update, or a later deploy\'s)', async () => {
    cloudFormation.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('Security', 'UPDATE_IN_PROGRESS', OLD_VALUES)] });

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: undefined });
  });

  test('reads the events page after page until it finds the resource', async () => {
    cloudFormation.on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: undefined })
      .resolves({ StackEvents: [event('Other', 'UPDATE_COMPLETE')], NextToken: 'page2' });
    cloudFormation.on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: 'page2' })
      .resolves({ StackEvents: [event('Security', 'UPDATE_IN_PROGRESS', OLD_VALUES)] });

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: undefined });
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackEventsCommand, 2);
  });

  test('cannot tell when the events cannot be read, and says why', async () => {
    cloudFormation.on(DescribeStackEventsCommand).rejects(new CloudFormationServiceException({
      name: 'AccessDenied', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 },
    }));

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({
      known: false, why: 'cloudformation:DescribeStackEvents failed: AccessDenied: not allowed',
    });
  });

  test('compares only the properties both name: an event blob that leaves some out or adds some still tells', async () => {
    cloudFormation.on(DescribeStackEventsCommand).resolvesOnce({ StackEvents: [event('Security', 'UPDATE_IN_PROGRESS', { Name: 'After', Extra: 'x' })] })
      .resolves({ StackEvents: [event('Security', 'UPDATE_IN_PROGRESS', { Name: 'Before', Extra: 'x' })] });

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: MARKER });
    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: undefined });
  });

  test('is told by its status alone when the event carries no properties', async () => {
    cloudFormation.on(DescribeStackEventsCommand).resolves({ StackEvents: [event('Security', 'UPDATE_IN_PROGRESS')] });

    await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: MARKER });
  });

  test('given the marker of its first check, reads no events (the marker tells a later request)', async () => {
    await expect(currentRequest(invocation(), update(NEW_VALUES), MARKER)).resolves.toStrictEqual({ known: true, value: MARKER });
    expect(cloudFormation).not.toHaveReceivedCommand(DescribeStackEventsCommand);
  });
});

test('outside a rollback, an Update request is told by its resource\'s status alone: the stack\'s events are not read', async () => {
  stackIn('UPDATE_IN_PROGRESS');

  await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: MARKER });
  expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
  expect(cloudFormation).not.toHaveReceivedCommand(DescribeStackEventsCommand);
});

test('a request whose resource is gone (a rolled-back Create, a deleted stack) is not current', async () => {
  cloudFormation.on(DescribeStackResourceCommand).rejects(new CloudFormationServiceException({
    name: 'ValidationError', $fault: 'client', message: 'Resource Security does not exist for stack baseline', $metadata: { httpStatusCode: 400 },
  }));

  await expect(currentRequest(invocation(), update(NEW_VALUES))).resolves.toStrictEqual({ known: true, value: undefined });
});

describe('checkCurrentRequest', () => {
  const throttling = () => new CloudFormationServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });

  test('asks again while CloudFormation throttles its reads: a check that cannot be read yet delays the request', async () => {
    // Throttled past the client's own retries (one minute, scaled), then answered.
    let throttledUntil = Date.now() + 150;
    cloudFormation.on(DescribeStackResourceCommand).callsFake(() => {
      if (Date.now() < throttledUntil) throw throttling();
      throttledUntil = 0;
      return { StackResourceDetail: { LogicalResourceId: 'Security', ResourceType: 'Custom::X', ResourceStatus: 'CREATE_IN_PROGRESS', LastUpdatedTimestamp: SINCE } };
    });
    const create: StackRequest = { StackId: STACK_ID, LogicalResourceId: 'Security', RequestType: 'Create' };

    await expect(checkCurrentRequest(invocation(), create)).resolves.toStrictEqual({ known: true, value: { status: 'CREATE_IN_PROGRESS', since: SINCE.toISOString() } });
    expect(cloudFormation.commandCalls(DescribeStackResourceCommand).length).toBeGreaterThan(1);
  });

  test('does not ask again when the failure is not transient (access denied)', async () => {
    cloudFormation.on(DescribeStackResourceCommand).rejects(new CloudFormationServiceException({
      name: 'AccessDenied', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 },
    }));

    await expect(checkCurrentRequest(invocation(), update(NEW_VALUES))).resolves.toMatchObject({ known: false });
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackResourceCommand, 1);
  });
});
