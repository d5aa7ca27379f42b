/*
 * Unit tests of the settings handler (lambda/settings): handle() with mocked AWS clients, and handler()
 * once end to end, answering a local HTTP server that stands for CloudFormation's ResponseURL.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import {
  AccessDeniedException,
  AccountClient,
  ConflictException,
  DeleteAlternateContactCommand,
  GetAlternateContactCommand,
  InternalServerException,
  PutAccountNameCommand,
  PutAlternateContactCommand,
  PutContactInformationCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  ValidationException,
} from '@aws-sdk/client-account';
import {
  CloudFormationServiceException,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  ResourceStatus,
  StackResourceSummary,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mockCloudFormation } from './cloudformation-mock';
import { handle, handler } from '../lambda/settings';
import { JsonClient } from '../lambda/shared/aws-json';
import { Invocation } from '../lambda/shared/clients';
import { ownAccountId } from '../lambda/shared/target';
import { LOCAL_RESPONSE_URL_ENV } from '../src/contract';

const OWN = '111111111111';
const MEMBER = '222222222222';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${OWN}:function:handler`;
const STACK_ID = `arn:aws:cloudformation:us-east-1:${OWN}:stack/baseline/1`;
const REQUEST_ID = 'request-1';
const CONTACT_ID = `${MEMBER}/alternate-contact/SECURITY`;
const TRUSTED_ACCESS_HINT = 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, '
  + 'that the stack deploys from the management account or the Account Management delegated administrator, '
  + `and that account ${MEMBER} is a member of that organization`;
const NO_LONGER_WAITS = `PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} was stopped: CloudFormation no longer `
  + 'waits for this request (it was answered, cancelled or rolled back, or a later request of the resource began); nothing was written';

const account = mockClient(AccountClient);
const cloudFormation = mockCloudFormation();
/** Organizations, answered here: the handler calls it without its SDK client (lambda/shared/aws-json.ts), as JsonClient.send. */
let organizations: jest.SpyInstance;

/** An Organizations error, as jsonCall throws it. */
function organizationsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

/*
 * Time runs 1000 times faster for the handler (its reserve at the end of the invocation is 45 ms); the
 * deadline is set by the fake context's remaining time, and moved past, where a test needs it, with a
 * clock of its own.
 */
const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
beforeAll(() => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1000';
});
afterAll(() => {
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

let logLines: string[];

beforeEach(() => {
  account.reset();
  cloudFormation.reset();
  organizations = jest.spyOn(JsonClient.prototype, 'send');
  organizations.mockReset();
  // A stack deploying, with no other resource of the same setting, and an ACTIVE member account.
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack('UPDATE_IN_PROGRESS')] });
  cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
  // The request a test made last is the one CloudFormation waits for: its resource in progress, its properties applied.
  cloudFormation.on(DescribeStackResourceCommand).callsFake(() => stackResource(`${requested.RequestType.toUpperCase()}_IN_PROGRESS`));
  cloudFormation.on(DescribeStackEventsCommand).callsFake(() => ({
    StackEvents: [{
      StackId: STACK_ID,
      StackName: 'baseline',
      EventId: 'e',
      Timestamp: new Date('2024-01-01T00:00:00Z'),
      LogicalResourceId: 'Security',
      ResourceStatus: `${requested.RequestType.toUpperCase()}_IN_PROGRESS`,
      ResourceProperties: JSON.stringify(requested.ResourceProperties),
    }],
  }));
  organizations.mockResolvedValue({ Account: { Id: MEMBER, Status: 'ACTIVE', State: 'ACTIVE' } });
  logLines = [];
  jest.spyOn(console, 'info').mockImplementation((line: unknown) => {
    logLines.push(typeof line === 'string' ? line : JSON.stringify(line));
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

const CONTACT = {
  Setting: 'AlternateContact',
  AlternateContactType: 'SECURITY',
  Name: 'Security Team',
  Title: 'Security',
  EmailAddress: 'security@example.com',
  PhoneNumber: '+1 206-555-0100',
};

const PRIMARY_CONTACT = {
  Setting: 'PrimaryContact',
  FullName: 'Ops',
  AddressLine1: '1 Main St',
  City: 'Paris',
  CountryCode: 'FR',
  PhoneNumber: '+33 1 23 45 67 89',
  PostalCode: '75001',
};

/** An invocation with `remainingMs` left, as Lambda's context tells it. */
function invocation(remainingMs = 900_000): Invocation {
  return new Invocation({ invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => remainingMs });
}

/** The request that `event` made last. */
let requested: CloudFormationCustomResourceEvent;

function event(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, string>, physicalResourceId?: string): CloudFormationCustomResourceEvent {
  requested = {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/response',
    StackId: STACK_ID,
    RequestId: REQUEST_ID,
    LogicalResourceId: 'Security',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceProperties: { ServiceToken: 'token', ...properties },
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
    ...(requestType === 'Update' ? { OldResourceProperties: { ServiceToken: 'token', ...properties } } : {}),
  } as CloudFormationCustomResourceEvent;
  return requested;
}

function stack(status: string) {
  return { StackName: 'baseline', StackId: STACK_ID, CreationTime: new Date('2024-01-01T00:00:00Z'), StackStatus: status as StackStatus };
}

function stackResource(status: string, since = new Date('2024-01-01T00:00:00Z')) {
  return {
    StackResourceDetail: {
      StackId: STACK_ID,
      LogicalResourceId: 'Security',
      ResourceType: 'Custom::AccountAlternateContact',
      ResourceStatus: status as ResourceStatus,
      LastUpdatedTimestamp: since,
    },
  };
}

function summary(logicalId: string, physicalId: string, status: string): StackResourceSummary {
  return { LogicalResourceId: logicalId, PhysicalResourceId: physicalId, ResourceStatus: status as ResourceStatus, ResourceType: 'Custom::AccountAlternateContact', LastUpdatedTimestamp: new Date() };
}

function throttled(attempts = 9): TooManyRequestsException {
  return new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429, attempts } });
}

/** The error `promise` rejects with (failing the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(value => ({ value }), (error: Error) => ({ error }));
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

describe('create and update', () => {
  test('a member account is written in organizations context and named in the physical id', async () => {
    account.on(PutAlternateContactCommand).resolves({});
    const result = await handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation());

    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 1);
    expect(account).toHaveReceivedCommandWith(PutAlternateContactCommand, {
      AccountId: MEMBER,
      AlternateContactType: 'SECURITY',
      Name: 'Security Team',
      Title: 'Security',
      EmailAddress: 'security@example.com',
      PhoneNumber: '+1 206-555-0100',
    });
    expect(result).toStrictEqual({ PhysicalResourceId: CONTACT_ID, Data: { AccountId: MEMBER } });
    // A Create asks CloudFormation once, before writing, whether it still waits for the request; Organizations nothing.
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackResourceCommand, 1);
    expect(cloudFormation.calls()).toHaveLength(1);
    expect(organizations).not.toHaveBeenCalled();
  });

  test.each([
    ['no accountId', {}],
    ['the account the handler runs in', { AccountId: OWN }],
  ])('with %s the call is made in standalone context', async (_, extra) => {
    account.on(PutAlternateContactCommand).resolves({});
    const result = await handle(event('Update', { ...CONTACT, ...extra }, `${OWN}/alternate-contact/SECURITY`), invocation());

    expect(account.commandCalls(PutAlternateContactCommand)).toHaveLength(1);
    expect(account.commandCalls(PutAlternateContactCommand)[0].args[0].input.AccountId).toBeUndefined();
    expect(result).toStrictEqual({ PhysicalResourceId: `${OWN}/alternate-contact/SECURITY`, Data: { AccountId: OWN } });
  });

  test('an update that changes the account answers a new physical id', async () => {
    account.on(PutAlternateContactCommand).resolves({});
    const result = await handle(event('Update', { ...CONTACT, AccountId: MEMBER }, `${OWN}/alternate-contact/SECURITY`), invocation());

    expect(result.PhysicalResourceId).toBe(CONTACT_ID);
  });

  test('the primary contact is written with its optional fields left out', async () => {
    account.on(PutContactInformationCommand).resolves({});
    // CloudFormation leaves absent properties out; an empty string counts as absent too.
    const result = await handle(event('Create', { ...PRIMARY_CONTACT, AccountId: MEMBER, AddressLine2: '', WebsiteUrl: '' }), invocation());

    const written = account.commandCalls(PutContactInformationCommand)[0].args[0].input;
    expect(written.AccountId).toBe(MEMBER);
    expect(Object.fromEntries(Object.entries(written.ContactInformation ?? {}).filter(([, value]) => value !== undefined))).toStrictEqual({
      FullName: 'Ops', AddressLine1: '1 Main St', City: 'Paris', CountryCode: 'FR', PhoneNumber: '+33 1 23 45 67 89', PostalCode: '75001',
    });
    expect(result).toStrictEqual({ PhysicalResourceId: `${MEMBER}/primary-contact`, Data: { AccountId: MEMBER } });
  });

  test('the primary contact is written with every field', async () => {
    account.on(PutContactInformationCommand).resolves({});
    const optional = {
      AddressLine2: 'Floor 2', AddressLine3: 'Desk 3', CompanyName: 'Example', DistrictOrCounty: 'Centre', StateOrRegion: 'IDF', WebsiteUrl: 'https://example.com',
    };
    await handle(event('Create', { ...PRIMARY_CONTACT, ...optional }), invocation());

    expect(account).toHaveReceivedCommandWith(PutContactInformationCommand, {
      AccountId: undefined,
      ContactInformation: {
        FullName: 'Ops', AddressLine1: '1 Main St', City: 'Paris', CountryCode: 'FR', PhoneNumber: '+33 1 23 45 67 89', PostalCode: '75001', ...optional,
      },
    });
  });

  test('the account name is written', async () => {
    account.on(PutAccountNameCommand).resolves({});
    const result = await handle(event('Create', { Setting: 'AccountName', AccountId: MEMBER, AccountName: 'workload-prod' }), invocation());

    expect(account).toHaveReceivedCommandWith(PutAccountNameCommand, { AccountId: MEMBER, AccountName: 'workload-prod' });
    expect(result).toStrictEqual({ PhysicalResourceId: `${MEMBER}/account-name`, Data: { AccountId: MEMBER } });
  });

  test('an unknown setting, an unknown contact type or a missing property is an error, and nothing is called', async () => {
    expect((await rejection(handle(event('Create', { Setting: 'Nickname' }), invocation()))).message).toBe(
      'Unknown setting "Nickname"; expected one of AlternateContact, PrimaryContact, AccountName');
    expect((await rejection(handle(event('Create', { ...CONTACT, AlternateContactType: 'LEGAL' }), invocation()))).message).toBe(
      'AlternateContactType must be one of BILLING, OPERATIONS, SECURITY, got "LEGAL"');
    expect((await rejection(handle(event('Create', { ...CONTACT, Name: '' }), invocation()))).message).toBe('Missing resource property Name');
    expect(account).not.toHaveReceivedAnyCommand();
  });

  test.each([
    ['AccessDeniedException', new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }),
      `${TRUSTED_ACCESS_HINT}. The service answered AccessDeniedException: denied`],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'no account', $metadata: { httpStatusCode: 404 } }),
      `check that account ${MEMBER} exists and is a member of the organization. The service answered ResourceNotFoundException: no account`],
    ['ConflictException', new ConflictException({ message: 'busy', $metadata: { httpStatusCode: 409 } }),
      'The service answered ConflictException: busy'],
  ])('a put failing with %s says what failed and where, the likely fix, then what the service answered', async (_, error, expected) => {
    account.on(PutAlternateContactCommand).rejects(error);
    const failed = await rejection(handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation()));

    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: ${expected}`);
    // A client error is not tried again, nor does it ask CloudFormation anything after the check before the write.
    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 1);
    expect(cloudFormation.calls()).toHaveLength(1);
  });

  test('a ValidationException is reported by its field names, never by the values it echoes', async () => {
    account.on(PutAlternateContactCommand).rejects(new ValidationException({
      message: "1 validation error detected: Value 'security@example' at 'emailAddress' failed to satisfy constraint",
      fieldList: [{ name: 'EmailAddress', message: "Value 'security@example' is not valid" }],
      reason: 'fieldValidationFailed',
      $metadata: { httpStatusCode: 400 },
    }));
    const failed = await rejection(handle(event('Create', { ...CONTACT, AccountId: MEMBER, EmailAddress: 'security@example' }), invocation()));

    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: `
      + "check the construct's properties against the API's constraints. The service answered ValidationException (fields: EmailAddress)");
    expect(logLines.join('\n')).not.toContain('security@example');
  });

  test('AccessDenied in standalone mode points at the policies of the handler role, without asking Organizations', async () => {
    account.on(PutAlternateContactCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }));
    const failed = await rejection(handle(event('Create', CONTACT), invocation()));

    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${OWN} (standalone mode) failed: `
      + 'check that no service control policy or permissions boundary denies the handler role this action on its own account. '
      + 'The service answered AccessDeniedException: denied');
    expect(organizations).not.toHaveBeenCalled();
  });

  test.each([
    ['has left the organization', () => organizations.mockRejectedValue(organizationsError('AccountNotFoundException', 'no such account')),
      'is not a member of the organization (it left, was removed, or never joined)'],
    ['is closed', () => organizations.mockResolvedValue({ Account: { Id: MEMBER, Status: 'SUSPENDED' } }),
      'is closed (SUSPENDED in AWS Organizations)'],
  ])('a put refused for an account that %s says so', async (_, arrange, why) => {
    account.on(PutAlternateContactCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }));
    arrange();
    const failed = await rejection(handle(event('Update', { ...CONTACT, AccountId: MEMBER }, CONTACT_ID), invocation()));

    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: `
      + `account ${MEMBER} ${why}; remove the setting, or the account from accountId. The service answered AccessDeniedException`);
    expect(organizations).toHaveBeenCalledWith('DescribeAccount', { AccountId: MEMBER });
  });
});

describe('a put that is throttled or fails for a while', () => {
  /** The invocation's clock, which stands still but for each put, which moves it on by `ms` (a throttled put stands for a while of them). */
  function eachPutTakes(ms: number): () => void {
    const base = Date.now();
    let offset = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => base + offset);
    return () => {
      offset += ms;
    };
  }

  test('is tried again while CloudFormation still waits for the request', async () => {
    const tick = eachPutTakes(16_000 / 1000);
    account.on(PutAlternateContactCommand).callsFakeOnce(async () => {
      tick();
      throw throttled();
    }).resolves({});
    const result = await handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation());

    expect(result.PhysicalResourceId).toBe(CONTACT_ID);
    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 2);
    // Before the first write, and once the put has been throttled for 15 s (a throttled retry sooner asks nothing).
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackResourceCommand, 2);
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStackResourceCommand, { StackName: STACK_ID, LogicalResourceId: 'Security' });
  });

  test('goes on when, once throttled, CloudFormation cannot tell whether it still waits (it did at the first check)', async () => {
    account.on(PutAlternateContactCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    cloudFormation.on(DescribeStackResourceCommand).resolvesOnce(stackResource('CREATE_IN_PROGRESS')).rejects(new CloudFormationServiceException({
      name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 },
    }));
    const result = await handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation());

    expect(result.PhysicalResourceId).toBe(CONTACT_ID);
    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 3);
  });

  test('writes nothing when CloudFormation cannot tell before the first write whether it still waits', async () => {
    account.on(PutAlternateContactCommand).resolves({});
    cloudFormation.on(DescribeStackResourceCommand).rejects(new CloudFormationServiceException({
      name: 'AccessDenied', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 },
    }));
    const failed = await rejection(handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation()));

    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} was not made: it cannot be told whether `
      + 'CloudFormation still waits for this request (cloudformation:DescribeStackResource failed: AccessDenied: not allowed); deploy again');
    expect(account).not.toHaveReceivedAnyCommand();
  });

  test.each([
    ['Create', 'CREATE_FAILED'],
    ['Create', 'DELETE_IN_PROGRESS'],
    ['Update', 'UPDATE_ROLLBACK_IN_PROGRESS'],
    ['Update', 'UPDATE_COMPLETE'],
  ] as const)('for the %s request of a resource now in %s writes nothing and says CloudFormation no longer waits', async (requestType, status) => {
    account.on(PutAlternateContactCommand).resolves({});
    cloudFormation.on(DescribeStackResourceCommand).resolves(stackResource(status));
    const failed = await rejection(handle(event(requestType, { ...CONTACT, AccountId: MEMBER }, requestType === 'Update' ? CONTACT_ID : undefined), invocation()));

    expect(failed.message).toBe(NO_LONGER_WAITS);
    expect(account).not.toHaveReceivedAnyCommand();
    expect(logLines.some(line => line.includes('stopped: CloudFormation no longer waits for this request'))).toBe(true);
  });

  test('stops once a later request of the resource has begun since its first check', async () => {
    const tick = eachPutTakes(16_000 / 1000);
    account.on(PutAlternateContactCommand).callsFake(async () => {
      tick();
      throw throttled();
    });
    cloudFormation.on(DescribeStackResourceCommand)
      .resolvesOnce(stackResource('UPDATE_IN_PROGRESS', new Date('2024-01-01T00:00:00Z')))
      .resolves(stackResource('UPDATE_IN_PROGRESS', new Date('2024-01-01T00:05:00Z')));
    const failed = await rejection(handle(event('Update', { ...CONTACT, AccountId: MEMBER }, CONTACT_ID), invocation()));

    expect(failed.message).toBe(NO_LONGER_WAITS);
    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 1);
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackResourceCommand, 2);
  });

  test.each([
    ['throttling', throttled(9),
      'the service was still throttling after 9 attempts, when the function had no time left; deploy again, or spread the settings over fewer stacks deployed at once. '
      + 'The service answered TooManyRequestsException: Rate exceeded'],
    ['server errors', new InternalServerException({ message: 'Internal', $metadata: { httpStatusCode: 500, attempts: 4 } }),
      'the service kept failing (4 attempts) until the function had no time left; deploy again later. The service answered InternalServerException: Internal'],
  ])('that meets %s until the deadline fails with the hint for it', async (_, error, expected) => {
    // The invocation's clock, which stands still but for the second put, which ends after the deadline.
    const base = Date.now();
    let offset = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => base + offset);
    const current = invocation(60_000);
    let puts = 0;
    account.on(PutAlternateContactCommand).callsFake(async () => {
      if (++puts === 2) offset += 60_000;
      throw error;
    });
    const failed = await rejection(handle(event('Create', { ...CONTACT, AccountId: MEMBER }), current));

    expect(current.remainingMs()).toBeLessThanOrEqual(0);
    expect(failed.message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: ${expected}`);
    expect(puts).toBe(2);
    // Before the first put only: the second came within 15 s of that check.
    expect(cloudFormation).toHaveReceivedCommandTimes(DescribeStackResourceCommand, 1);
    // Transient errors are not a sign that the account left the organization.
    expect(organizations).not.toHaveBeenCalled();
  });

  test('with no time left fails at once, asking CloudFormation nothing after the check before the write', async () => {
    account.on(PutAlternateContactCommand).rejects(throttled(3));
    // All that is left is the reserve for answering CloudFormation (45 s, scaled to 45 ms).
    const failed = await rejection(handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation(0)));

    expect(failed.message).toMatch(/failed: the service was still throttling after 3 attempts, when the function had no time left/);
    expect(account).toHaveReceivedCommandTimes(PutAlternateContactCommand, 1);
    expect(cloudFormation.calls()).toHaveLength(1);
  });
});

describe('delete', () => {
  const deleteEvent = (physicalId = CONTACT_ID) => event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId);
  const accessDenied = () => new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } });
  const { Setting: _setting, AlternateContactType: _type, ...declaredValues } = CONTACT;
  /** A template in which `Renamed` declares the same contact. */
  const templateWithRenamed = () => ({
    TemplateBody: JSON.stringify({
      Resources: {
        Renamed: { Type: 'Custom::AccountAlternateContact', Properties: { ...CONTACT, AccountId: MEMBER } },
        Other: { Type: 'Custom::AccountAlternateContact', Properties: { ...CONTACT, AccountId: OWN } },
      },
    }),
  });

  beforeEach(() => {
    // The stack's template declares nothing else, and the account holds what the resource declared.
    cloudFormation.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify({ Resources: {} }) });
    account.on(GetAlternateContactCommand).resolves({ AlternateContact: { ...declaredValues, AlternateContactType: 'SECURITY' } });
  });

  test('deletes the contact after checking that the stack is not rolling back and that no other resource declares it', async () => {
    account.on(DeleteAlternateContactCommand).resolves({});
    const result = await handle(deleteEvent(), invocation());

    expect(result).toStrictEqual({ PhysicalResourceId: CONTACT_ID, Data: { AccountId: MEMBER } });
    expect(account).toHaveReceivedCommandWith(DeleteAlternateContactCommand, { AccountId: MEMBER, AlternateContactType: 'SECURITY' });
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK_ID });
    expect(cloudFormation).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: STACK_ID });
    expect(cloudFormation).toHaveReceivedCommandWith(GetTemplateCommand, { StackName: STACK_ID });
    expect(account).toHaveReceivedCommandWith(GetAlternateContactCommand, { AccountId: MEMBER, AlternateContactType: 'SECURITY' });
    expect(logLines.some(line => JSON.parse(line).outcome === 'deleted')).toBe(true);
  });

  test.each([
    ['read', () => account.on(GetAlternateContactCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } }))],
    ['deleted', () => account.on(DeleteAlternateContactCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } }))],
  ])('deleting a contact that is already gone when %s succeeds', async (_, arrange) => {
    arrange();
    await expect(handle(deleteEvent(), invocation())).resolves.toStrictEqual({ PhysicalResourceId: CONTACT_ID, Data: { AccountId: MEMBER } });
    expect(logLines.some(line => JSON.parse(line).outcome === 'already gone')).toBe(true);
  });

  test('a contact that no longer holds the values the resource declared is left, and the log names no value', async () => {
    account.on(GetAlternateContactCommand).resolves({ AlternateContact: { ...declaredValues, EmailAddress: 'changed-by-hand@example.com' } });
    await handle(deleteEvent(), invocation());

    expect(account).not.toHaveReceivedCommand(DeleteAlternateContactCommand);
    expect(logLines.some(line => JSON.parse(line).outcome.startsWith('left in place: it no longer holds the values'))).toBe(true);
    expect(logLines.join('\n')).not.toContain('changed-by-hand');
  });

  test('any other error fails the delete, with what failed, the fix and what the service answered', async () => {
    account.on(DeleteAlternateContactCommand).rejects(new ConflictException({ message: 'busy', $metadata: { httpStatusCode: 409 } }));
    const failed = await rejection(handle(deleteEvent(), invocation()));

    expect(failed.message).toBe(`DeleteAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: `
      + 'The service answered ConflictException: busy');
    expect(organizations).not.toHaveBeenCalled();
  });

  test('AccessDenied in standalone mode fails the delete without asking Organizations', async () => {
    account.on(DeleteAlternateContactCommand).rejects(accessDenied());
    const failed = await rejection(handle(event('Delete', CONTACT, `${OWN}/alternate-contact/SECURITY`), invocation()));

    expect(failed.message).toMatch(/^DeleteAlternateContact for the SECURITY alternate contact of account 111111111111 \(standalone mode\) failed: check that no service control policy/);
    expect(organizations).not.toHaveBeenCalled();
  });

  test('a contact that another live resource of the stack now declares is left in place', async () => {
    cloudFormation.on(GetTemplateCommand).resolves(templateWithRenamed());
    cloudFormation.on(ListStackResourcesCommand)
      .resolvesOnce({ StackResourceSummaries: [summary('Other', 'x', 'CREATE_COMPLETE')], NextToken: 'page2' })
      .resolvesOnce({ StackResourceSummaries: [summary('Security', CONTACT_ID, 'DELETE_IN_PROGRESS'), summary('Renamed', CONTACT_ID, 'CREATE_COMPLETE')] });
    const result = await handle(deleteEvent(), invocation());

    expect(result.PhysicalResourceId).toBe(CONTACT_ID);
    expect(account).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).toHaveReceivedCommandTimes(ListStackResourcesCommand, 2);
    expect(cloudFormation).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: STACK_ID, NextToken: 'page2' });
    expect(logLines.some(line => JSON.parse(line).outcome === 'left in place (now declared by Renamed)')).toBe(true);
  });

  test.each([
    ['an OrganizationBaseline that lists the account', { accountIds: [MEMBER] }, ['SECURITY'], true],
    ['an OrganizationBaseline that lists the account but declares another type', { accountIds: [MEMBER] }, ['BILLING'], false],
    ['an OrganizationBaseline that excludes the account', { accountIds: [MEMBER], excludeAccountIds: [MEMBER] }, ['SECURITY'], false],
    ['an AlternateContact whose account is a token (it may be this one)', undefined, ['SECURITY'], true],
  ])('with %s in the stack, the contact is kept: %s', async (_, targets, types, kept) => {
    account.on(DeleteAlternateContactCommand).resolves({});
    const contacts = Object.fromEntries(types.map(type => [type, declaredValues]));
    const resource = targets
      ? { Type: 'Custom::AccountOrganizationBaseline', Properties: { Targets: JSON.stringify({ organizationalUnitIds: [], allAccounts: false, excludeAccountIds: [], ...targets }), Baseline: JSON.stringify({ alternateContacts: contacts, enabledRegions: [], overrides: {} }) } }
      : { Type: 'Custom::AccountAlternateContact', Properties: { ...CONTACT, AccountId: { Ref: 'Member' } } };
    cloudFormation.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify({ Resources: { Declarer: resource } }) });
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [summary('Declarer', 'x', 'UPDATE_COMPLETE')] });
    await handle(deleteEvent(), invocation());

    if (kept) expect(account).not.toHaveReceivedCommand(DeleteAlternateContactCommand);
    else expect(account).toHaveReceivedCommand(DeleteAlternateContactCommand);
  });

  test.each(['DELETE_COMPLETE', 'DELETE_IN_PROGRESS', 'CREATE_FAILED'])('a resource in %s does not keep the contact', async (status) => {
    account.on(DeleteAlternateContactCommand).resolves({});
    cloudFormation.on(GetTemplateCommand).resolves(templateWithRenamed());
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [summary('Renamed', CONTACT_ID, status)] });
    await handle(deleteEvent(), invocation());

    expect(account).toHaveReceivedCommand(DeleteAlternateContactCommand);
  });

  // CloudFormation gives every request its own RequestId: the Delete's is not the failed Create's.
  const afterFailedCreate = () => ({ ...deleteEvent(`create-failed/${REQUEST_ID}`), RequestId: 'request-2' }) as CloudFormationCustomResourceEvent;

  test('the Delete after a failed Create (physical id create-failed/<RequestId of the Create>) calls nothing', async () => {
    const result = await handle(afterFailedCreate(), invocation());

    expect(result).toStrictEqual({ PhysicalResourceId: `create-failed/${REQUEST_ID}`, Data: { AccountId: MEMBER } });
    expect(account).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
    expect(organizations).not.toHaveBeenCalled();
  });

  test('the Delete after a failed Create (another request than the Create) is logged as such', async () => {
    await handle(afterFailedCreate(), invocation());

    expect(logLines.map(line => JSON.parse(line).outcome)).toContain('nothing to delete (the resource was never created)');
  });

  test('a Delete whose physical id names another setting calls nothing', async () => {
    await handle(deleteEvent(`${MEMBER}/alternate-contact/BILLING`), invocation());

    expect(account).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  test.each(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS'])(
    'a contact is left in place while the stack is in %s', async (status) => {
      cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [stack(status)] });
      const result = await handle(deleteEvent(), invocation());

      expect(result.PhysicalResourceId).toBe(CONTACT_ID);
      expect(account).not.toHaveReceivedAnyCommand();
    });

  test.each(['DescribeStacks', 'ListStackResources', 'GetTemplate'])('%s failing leaves the contact in place and the delete succeeds (fail closed)', async (operation) => {
    const denied = new CloudFormationServiceException({ name: 'AccessDenied', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 } });
    if (operation === 'DescribeStacks') cloudFormation.on(DescribeStacksCommand).rejects(denied);
    else if (operation === 'GetTemplate') cloudFormation.on(GetTemplateCommand).rejects(denied);
    else cloudFormation.on(ListStackResourcesCommand).rejects(denied);
    const result = await handle(deleteEvent(), invocation());

    expect(result.PhysicalResourceId).toBe(CONTACT_ID);
    expect(account).not.toHaveReceivedAnyCommand();
    const outcome = logLines.map(line => JSON.parse(line).outcome as string).find(line => line.startsWith('left in place'));
    expect(outcome).toContain(`cloudformation:${operation} failed: AccessDenied: not allowed`);
  });

  test.each([
    ['AccountNotFoundException (it left the organization)', () => organizations.mockRejectedValue(
      organizationsError('AccountNotFoundException', 'no such account')), 'is no longer a member of the organization'],
    ['SUSPENDED (it is closed)', () => organizations.mockResolvedValue({ Account: { Id: MEMBER, Status: 'SUSPENDED' } }), 'is closed'],
  ])('a delete denied for an account that DescribeAccount answers %s succeeds: the setting is gone with it', async (_, arrange, why) => {
    account.on(DeleteAlternateContactCommand).rejects(accessDenied());
    arrange();
    const result = await handle(deleteEvent(), invocation());

    expect(result).toStrictEqual({ PhysicalResourceId: CONTACT_ID, Data: { AccountId: MEMBER } });
    expect(organizations).toHaveBeenCalledWith('DescribeAccount', { AccountId: MEMBER });
    expect(logLines.some(line => JSON.parse(line).outcome === `gone: account ${MEMBER} ${why}`)).toBe(true);
  });

  test.each([
    ['ACTIVE', () => undefined],
    ['AccessDeniedException (Organizations cannot tell)', () => organizations.mockRejectedValue(
      organizationsError('AccessDeniedException', 'not allowed'))],
  ])('a delete denied for an account that DescribeAccount answers %s fails', async (_, arrange) => {
    account.on(DeleteAlternateContactCommand).rejects(accessDenied());
    arrange();
    const failed = await rejection(handle(deleteEvent(), invocation()));

    expect(failed.message).toBe(`DeleteAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: `
      + `${TRUSTED_ACCESS_HINT}. The service answered AccessDeniedException: denied`);
    expect(organizations).toHaveBeenCalledTimes(1);
  });

  test.each([
    ['primary contact', PRIMARY_CONTACT, 'primary-contact'],
    ['account name', { Setting: 'AccountName', AccountName: 'x' }, 'account-name'],
  ])('deleting the %s leaves it as it is', async (_, properties, suffix) => {
    const result = await handle(event('Delete', { ...properties, AccountId: MEMBER }, `${MEMBER}/${suffix}`), invocation());

    expect(result.PhysicalResourceId).toBe(`${MEMBER}/${suffix}`);
    expect(account).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });
});

test('no contact value reaches a log line or the resource data', async () => {
  account.on(PutAlternateContactCommand).rejectsOnce(throttled()).resolves({});
  account.on(PutContactInformationCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } }));
  account.on(DeleteAlternateContactCommand).resolves({});
  const results = [
    await handle(event('Create', { ...CONTACT, AccountId: MEMBER }), invocation()),
    await handle(event('Delete', { ...CONTACT, AccountId: MEMBER }, CONTACT_ID), invocation()),
  ];
  await rejection(handle(event('Create', { ...PRIMARY_CONTACT, AccountId: MEMBER }), invocation()));

  const written = JSON.stringify(results) + logLines.join('\n');
  expect(logLines.length).toBeGreaterThan(0);
  const values = [
    CONTACT.Name, CONTACT.EmailAddress, CONTACT.PhoneNumber,
    PRIMARY_CONTACT.FullName, PRIMARY_CONTACT.AddressLine1, PRIMARY_CONTACT.PhoneNumber,
  ];
  for (const value of values) {
    expect(written).not.toContain(value);
  }
});

test('the account is read from the function ARN', () => {
  expect(ownAccountId('arn:aws:lambda:eu-west-1:444455556666:function:x')).toBe('444455556666');
  expect(() => ownAccountId('not-an-arn')).toThrow('Cannot read the account id from the function ARN "not-an-arn"');
});

describe('handler() answers CloudFormation itself', () => {
  interface Received { method?: string; url?: string; contentType?: string; body: string }
  let server: http.Server;
  let received: Received[];
  let responseUrl: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', chunk => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response/${REQUEST_ID}?X-Amz-Signature=abc`;
    // The local server stands for CloudFormation's response endpoint, as the local deployment engine allows its own.
    process.env[LOCAL_RESPONSE_URL_ENV] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response/`;
  });

  afterAll(async () => {
    delete process.env[LOCAL_RESPONSE_URL_ENV];
    server.closeAllConnections();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  beforeEach(() => {
    received = [];
  });

  const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 900_000 };
  const request = (requestType: 'Create' | 'Update', physicalId?: string) =>
    ({ ...event(requestType, { ...CONTACT, AccountId: MEMBER }, physicalId), ResponseURL: responseUrl }) as CloudFormationCustomResourceEvent;

  test('a success is PUT to the ResponseURL with the physical id and the account, no contact value', async () => {
    account.on(PutAlternateContactCommand).resolves({});
    await expect(handler(request('Create'), context)).resolves.toBeUndefined();

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'PUT', url: `/response/${REQUEST_ID}?X-Amz-Signature=abc`, contentType: '' });
    expect(received[0].body).toBe(JSON.stringify({
      Status: 'SUCCESS',
      PhysicalResourceId: CONTACT_ID,
      StackId: STACK_ID,
      RequestId: REQUEST_ID,
      LogicalResourceId: 'Security',
      Data: { AccountId: MEMBER },
    }));
  });

  test('a failed Create is answered FAILED with the failed-create marker and the reason', async () => {
    account.on(PutAlternateContactCommand).rejects(new ConflictException({ message: 'busy', $metadata: { httpStatusCode: 409 } }));
    await expect(handler(request('Create'), context)).resolves.toBeUndefined();

    expect(received).toHaveLength(1);
    expect(received[0].body).toBe(JSON.stringify({
      Status: 'FAILED',
      Reason: `PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: The service answered ConflictException: busy`,
      PhysicalResourceId: `create-failed/${REQUEST_ID}`,
      StackId: STACK_ID,
      RequestId: REQUEST_ID,
      LogicalResourceId: 'Security',
    }));
  });

  test('a failed Update keeps the resource\'s physical id', async () => {
    await expect(handler({ ...request('Update', CONTACT_ID), ResourceProperties: { ServiceToken: 'token', Setting: 'Nickname' } } as CloudFormationCustomResourceEvent, context))
      .resolves.toBeUndefined();

    expect(JSON.parse(received[0].body)).toStrictEqual({
      Status: 'FAILED',
      Reason: 'Unknown setting "Nickname"; expected one of AlternateContact, PrimaryContact, AccountName',
      PhysicalResourceId: CONTACT_ID,
      StackId: STACK_ID,
      RequestId: REQUEST_ID,
      LogicalResourceId: 'Security',
    });
  });
});
