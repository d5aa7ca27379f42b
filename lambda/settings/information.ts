import { GetAccountInformationCommand } from '@aws-sdk/client-account';
import type { AccountInformationAttributes, AccountInformationProperties } from '../../src/contract';
import { explainedFailure } from '../shared/account-api';
import type { Invocation } from '../shared/clients';
import type { Request, Result } from '../shared/custom-resource';
import { errorName } from '../shared/errors';
import { log } from '../shared/log';
import { resolveTarget, Target } from '../shared/target';

/*
 * The AccountInformation resource: a read of GetAccountInformation whose answer becomes the resource's
 * attributes. It writes nothing, so it needs neither the current-request check nor the stack's
 * declarations: a late or repeated read changes nothing in the account.
 */

const DESCRIPTION = 'account information';
const OPERATION = 'GetAccountInformation';

/** The request's result; throws what fails it. */
export async function handleInformation(event: Request, invocation: Invocation): Promise<Result> {
  const properties = event.ResourceProperties as Readonly<Record<string, unknown>>;
  const declared: AccountInformationProperties['AccountId'] = typeof properties.AccountId === 'string' && properties.AccountId !== ''
    ? properties.AccountId : undefined;
  const target = resolveTarget(declared, invocation.ownAccount);
  const fields = { requestType: event.RequestType, setting: DESCRIPTION, accountId: target.accountId };
  if (event.RequestType === 'Delete') {
    log({ ...fields, outcome: 'nothing to delete (the resource only reads the account)' });
    return { PhysicalResourceId: event.PhysicalResourceId, Data: { AccountId: target.accountId } };
  }
  // The physical id names the account, so a change of account replaces the resource.
  const physicalResourceId = `${target.accountId}/account-information`;
  let data: AccountInformationAttributes;
  try {
    data = await read(invocation, target);
  } catch (error) {
    log({ ...fields, operation: OPERATION, outcome: 'failed', error: errorName(error) });
    throw await explainedFailure(invocation, OPERATION, DESCRIPTION, target, error);
  }
  // The values are the resource's attributes, never the log's.
  log({ ...fields, operation: OPERATION, outcome: 'read', physicalResourceId });
  return { PhysicalResourceId: physicalResourceId, Data: { ...data } };
}

async function read(invocation: Invocation, target: Target): Promise<AccountInformationAttributes> {
  const answer = await invocation.account().send(new GetAccountInformationCommand({ AccountId: target.accountIdParameter }));
  const created = answer.AccountCreatedDate;
  return {
    AccountId: answer.AccountId ?? target.accountId,
    AccountName: answer.AccountName ?? '',
    AccountCreatedDate: created instanceof Date ? created.toISOString() : String(created ?? ''),
    AccountState: answer.AccountState ?? '',
  };
}
