import {
  AccountClient,
  AccessDeniedException,
  DeleteAlternateContactCommand,
  InternalServerException,
  PutAccountNameCommand,
  PutAlternateContactCommand,
  PutContactInformationCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-account';
import { CloudFormationClient, ListStackResourcesCommand, ResourceStatus, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../lambda/settings';
import { ownAccountId } from '../lambda/shared/target';

const OWN = '111111111111';
const MEMBER = '222222222222';
const context = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${OWN}:function:handler` };
const STACK_ID = `arn:aws:cloudformation:us-east-1:${OWN}:stack/baseline/1`;

const account = mockClient(AccountClient);
const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => {
  account.reset();
  cloudFormation.reset();
  cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
});

const CONTACT = {
  Setting: 'AlternateContact',
  AlternateContactType: 'SECURITY',
  Name: 'Security Team',
  Title: 'Security',
  EmailAddress: 'security@example.com',
  PhoneNumber: '+1 206-555-0100',
};

function event(requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, string>, physicalResourceId?: string): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: '...',
    StackId: STACK_ID,
    RequestId: 'request',
    LogicalResourceId: 'Security',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceProperties: { ServiceToken: 'token', ...properties },
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
    ...(requestType === 'Update' ? { OldResourceProperties: { ServiceToken: 'token', ...properties } } : {}),
  } as CloudFormationCustomResourceEvent;
}

describe('create and update', () => {
  test('a member account is written in organizations context and named in the physical id', async () => {
    account.on(PutAlternateContactCommand).resolves({});
    const response = await handler(event('Create', { ...CONTACT, AccountId: MEMBER }), context);

    expect(account).toHaveReceivedCommandWith(PutAlternateContactCommand, {
      AccountId: MEMBER,
      AlternateContactType: 'SECURITY',
      Name: 'Security Team',
      Title: 'Security',
      EmailAddress: 'security@example.com',
      PhoneNumber: '+1 206-555-0100',
    });
    expect(response).toEqual({ PhysicalResourceId: `${MEMBER}/alternate-contact/SECURITY`, Data: { AccountId: MEMBER } });
  });

  test.each([
    ['no accountId', {}],
    ['the account the handler runs in', { AccountId: OWN }],
  ])('with %s the call is made in standalone context', async (_, extra) => {
    account.on(PutAlternateContactCommand).resolves({});
    const response = await handler(event('Update', { ...CONTACT, ...extra }, `${OWN}/alternate-contact/SECURITY`), context);

    expect(account.commandCalls(PutAlternateContactCommand)[0].args[0].input.AccountId).toBeUndefined();
    expect(response.PhysicalResourceId).toBe(`${OWN}/alternate-contact/SECURITY`);
  });

  test('the primary contact is written with its optional fields left out', async () => {
    account.on(PutContactInformationCommand).resolves({});
    await handler(event('Create', {
      Setting: 'PrimaryContact',
      AccountId: MEMBER,
      FullName: 'Ops',
      AddressLine1: '1 Main St',
      City: 'Paris',
      CountryCode: 'FR',
      PhoneNumber: '+33 1 23 45 67 89',
      PostalCode: '75001',
    }), context);

    expect(account).toHaveReceivedCommandWith(PutContactInformationCommand, {
      AccountId: MEMBER,
      ContactInformation: { FullName: 'Ops', AddressLine1: '1 Main St', City: 'Paris', CountryCode: 'FR', PhoneNumber: '+33 1 23 45 67 89', PostalCode: '75001' },
    });
  });

  test('the account name is written', async () => {
    account.on(PutAccountNameCommand).resolves({});
    const response = await handler(event('Create', { Setting: 'AccountName', AccountId: MEMBER, AccountName: 'workload-prod' }), context);

    expect(account).toHaveReceivedCommandWith(PutAccountNameCommand, { AccountId: MEMBER, AccountName: 'workload-prod' });
    expect(response.PhysicalResourceId).toBe(`${MEMBER}/account-name`);
  });

  test.each([
    [new AccessDeniedException({ message: 'denied', $metadata: {} }), 'AccessDeniedException: denied; check that trusted access for account.amazonaws.com is enabled'],
    [new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }), 'TooManyRequestsException: Rate exceeded; still throttled after 8 attempts'],
    [new InternalServerException({ message: 'Internal', $metadata: { httpStatusCode: 500 } }), 'InternalServerException: Internal; the service kept failing after 8 attempts'],
    [new ResourceNotFoundException({ message: 'no account', $metadata: {} }), `ResourceNotFoundException: no account; check that account ${MEMBER} exists`],
  ])('a failed put says what failed and the likely fix (%p)', async (error, expected) => {
    account.on(PutAlternateContactCommand).rejects(error);
    await expect(handler(event('Create', { ...CONTACT, AccountId: MEMBER }), context)).rejects.toThrow(
      `PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: ${expected}`);
  });

  test('AccessDenied in standalone mode points at the policies of the handler role', async () => {
    account.on(PutAlternateContactCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: {} }));
    await expect(handler(event('Create', CONTACT), context)).rejects.toThrow(
      `PutAlternateContact for the SECURITY alternate contact of account ${OWN} (standalone mode) failed: AccessDeniedException: denied; `
      + 'check that no service control policy or permissions boundary denies the handler role this action on its own account');
  });

  test('an unknown setting or contact type is an error', async () => {
    await expect(handler(event('Create', { Setting: 'Nickname' }), context)).rejects.toThrow(
      'Unknown setting "Nickname"; expected one of AlternateContact, PrimaryContact, AccountName');
    await expect(handler(event('Create', { ...CONTACT, AlternateContactType: 'LEGAL' }), context)).rejects.toThrow(
      'AlternateContactType must be one of BILLING, OPERATIONS, SECURITY, got "LEGAL"');
  });
});

describe('delete', () => {
  const physicalId = `${MEMBER}/alternate-contact/SECURITY`;

  test('deletes the contact', async () => {
    account.on(DeleteAlternateContactCommand).resolves({});
    await handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId), context);

    expect(account).toHaveReceivedCommandWith(DeleteAlternateContactCommand, { AccountId: MEMBER, AlternateContactType: 'SECURITY' });
    expect(cloudFormation).toHaveReceivedCommandWith(ListStackResourcesCommand, { StackName: STACK_ID });
  });

  test('deleting a contact that is already gone succeeds', async () => {
    account.on(DeleteAlternateContactCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId), context)).resolves.toMatchObject({ PhysicalResourceId: physicalId });
  });

  test('any other error fails the delete', async () => {
    account.on(DeleteAlternateContactCommand).rejects(new AccessDeniedException({ message: 'denied', $metadata: {} }));
    await expect(handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId), context)).rejects.toThrow(
      /^DeleteAlternateContact for the SECURITY alternate contact of account 222222222222 \(organizations mode\) failed: AccessDeniedException/);
  });

  test('a contact that another live resource of the stack now declares is left in place', async () => {
    cloudFormation.on(ListStackResourcesCommand)
      .resolvesOnce({ StackResourceSummaries: [summary('Other', 'x', 'CREATE_COMPLETE')], NextToken: 'page2' })
      .resolvesOnce({ StackResourceSummaries: [summary('Security', physicalId, 'DELETE_IN_PROGRESS'), summary('Renamed', physicalId, 'CREATE_COMPLETE')] });
    await handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId), context);

    expect(account).not.toHaveReceivedCommand(DeleteAlternateContactCommand);
    expect(cloudFormation).toHaveReceivedCommandTimes(ListStackResourcesCommand, 2);
  });

  test.each(['DELETE_COMPLETE', 'DELETE_IN_PROGRESS', 'CREATE_FAILED'])('a resource in %s does not keep the contact', async (status) => {
    account.on(DeleteAlternateContactCommand).resolves({});
    cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [summary('Renamed', physicalId, status)] });
    await handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, physicalId), context);

    expect(account).toHaveReceivedCommand(DeleteAlternateContactCommand);
  });

  test('the Delete after a failed Create (physical id is the request id) calls nothing', async () => {
    await handler(event('Delete', { ...CONTACT, AccountId: MEMBER }, 'request-1'), context);

    expect(account).not.toHaveReceivedAnyCommand();
    expect(cloudFormation).not.toHaveReceivedAnyCommand();
  });

  test.each([
    ['PrimaryContact', { FullName: 'x' }, 'primary-contact'],
    ['AccountName', { AccountName: 'x' }, 'account-name'],
  ])('deleting a %s leaves it as it is', async (setting, extra, suffix) => {
    await handler(event('Delete', { Setting: setting, AccountId: MEMBER, ...extra }, `${MEMBER}/${suffix}`), context);
    expect(account).not.toHaveReceivedAnyCommand();
  });
});

test('the account is read from the function ARN', () => {
  expect(ownAccountId('arn:aws:lambda:eu-west-1:444455556666:function:x')).toBe('444455556666');
  expect(() => ownAccountId('not-an-arn')).toThrow('Cannot read the account id from the function ARN "not-an-arn"');
});

function summary(logicalId: string, physicalId: string, status: string): StackResourceSummary {
  return { LogicalResourceId: logicalId, PhysicalResourceId: physicalId, ResourceStatus: status as ResourceStatus, ResourceType: 'Custom::AccountAlternateContact', LastUpdatedTimestamp: new Date() };
}
