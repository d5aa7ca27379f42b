import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { parseSetting, Setting, SettingProperties } from './settings';
import { errorName, failure } from '../shared/errors';
import { log } from '../shared/log';
import { ownAccountId, resolveTarget, Target } from '../shared/target';

/** What the Provider framework expects back. Data never holds contact values. */
export interface HandlerResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly AccountId: string };
}

/**
 * onEvent handler for the alternate contacts, the primary contact and the account name. Each request
 * finishes in this one invocation; throttling and 5xx are retried by the client.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Pick<Context, 'invokedFunctionArn'>): Promise<HandlerResponse> {
  const ownAccount = ownAccountId(context.invokedFunctionArn);
  const setting = parseSetting(event.ResourceProperties as SettingProperties);
  const target = resolveTarget(setting.accountId, ownAccount);
  switch (event.RequestType) {
    case 'Create':
    case 'Update':
      return put(event.RequestType, setting, target);
    case 'Delete':
      return remove(event, setting, target);
  }
}

/** The physical id names the target (account and setting), so a change of target replaces the resource. */
function physicalId(setting: Setting, target: Target): string {
  return `${target.accountId}/${setting.idSuffix}`;
}

async function put(requestType: string, setting: Setting, target: Target): Promise<HandlerResponse> {
  try {
    await setting.put(target.accountIdParameter);
  } catch (error) {
    log({ requestType, setting: setting.description, accountId: target.accountId, operation: setting.putOperation, outcome: 'failed', error: errorName(error) });
    throw failure(setting.putOperation, setting.description, target, error);
  }
  const physicalResourceId = physicalId(setting, target);
  log({ requestType, setting: setting.description, accountId: target.accountId, operation: setting.putOperation, outcome: 'written', physicalResourceId });
  return { PhysicalResourceId: physicalResourceId, Data: { AccountId: target.accountId } };
}

async function remove(event: CloudFormationCustomResourceEvent & { RequestType: 'Delete' }, setting: Setting, target: Target): Promise<HandlerResponse> {
  const response = { PhysicalResourceId: event.PhysicalResourceId, Data: { AccountId: target.accountId } };
  const fields = { requestType: 'Delete', setting: setting.description, accountId: target.accountId, physicalResourceId: event.PhysicalResourceId };
  if (event.PhysicalResourceId !== physicalId(setting, target)) {
    // The Provider framework names a resource whose Create failed after the request; nothing was written.
    log({ ...fields, outcome: 'nothing to delete (the resource was never created)' });
    return response;
  }
  if (!setting.remove) {
    log({ ...fields, outcome: 'left in place (the API cannot delete it)' });
    return response;
  }
  // Required only here: evaluating the CloudFormation client it brings would cost every cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { otherClaimant, isRollingBack }: typeof import('../shared/delete-guard') = require('../shared/delete-guard');
  if (await isRollingBack(event.StackId)) {
    // Undoing a failed deploy: the contact may have been there before the stack declared it.
    log({ ...fields, outcome: 'left in place (the deploy that wrote it is being rolled back)' });
    return response;
  }
  const claimant = await otherClaimant(event);
  if (claimant) {
    log({ ...fields, outcome: `left in place (now declared by ${claimant})` });
    return response;
  }
  try {
    await setting.remove.run(target.accountIdParameter);
    log({ ...fields, operation: setting.remove.operation, outcome: 'deleted' });
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') {
      log({ ...fields, operation: setting.remove.operation, outcome: 'failed', error: errorName(error) });
      throw failure(setting.remove.operation, setting.description, target, error);
    }
    log({ ...fields, operation: setting.remove.operation, outcome: 'already gone' });
  }
  return response;
}
