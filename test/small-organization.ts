import { LocalAws, LocalCloudFormation, scaledQuotas } from '../local';
import { Local, MANAGEMENT, startLocal, stopLocal } from './support';

/*
 * A small organization for lifecycle tests that each deploy a stack or two: member accounts in OUs, the
 * local services started once per file, and every test starting from the same organization (accounts
 * in their OUs, no contacts, default names, opt-in Regions disabled, an empty store, no faults).
 */

export interface SmallOrganization {
  readonly aws: LocalAws;
  /** A new deployment engine for each test (its stacks start afresh). */
  readonly cfn: LocalCloudFormation;
  /** Resolves once the trail, the functions and the executions have all done what they were started to do. */
  settled(): Promise<void>;
}

/** Registers the hooks of a file whose tests run against `members`, placed in the OUs of `placement` (the others in the root). */
export function useSmallOrganization(members: string[], placement: Record<string, string[]> = {}, timeScale = 50): SmallOrganization {
  let local: Local | undefined;
  let cfn: LocalCloudFormation | undefined;
  const aws = () => {
    if (!local) throw new Error('the local services start in beforeAll');
    return local.aws;
  };

  beforeAll(async () => {
    local = await startLocal({ memberAccountIds: members, rateQuotas: scaledQuotas(timeScale) }, timeScale);
    for (const ou of Object.keys(placement)) local.aws.addOrganizationalUnit(ou);
  });

  afterAll(async () => {
    if (local) await stopLocal(local);
  });

  beforeEach(() => {
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    const services = aws();
    services.callerAccountId = MANAGEMENT;
    services.trustedAccess = true;
    services.regionTransitionMs = 0;
    services.stepFunctions.waitMs = 10;
    services.clearCalls();
    services.clearFaults();
    for (const id of members) services.moveAccount(id, Object.keys(placement).find(ou => placement[ou].includes(id)) ?? services.rootId);
    for (const account of services.accounts.values()) {
      account.alternateContacts.clear();
      account.name = `account-${account.id}`;
      for (const [regionName, state] of account.regions) {
        if (state.status !== 'ENABLED_BY_DEFAULT') services.setRegionStatus(account.id, regionName, 'DISABLED');
      }
    }
    services.s3.buckets.clear();
    cfn = new LocalCloudFormation(services);
  });

  afterEach(async () => {
    await aws().stepFunctions.settled();
    await aws().lambda.settled();
  });

  return {
    get aws() {
      return aws();
    },
    get cfn() {
      if (!cfn) throw new Error('the deployment engine is made in beforeEach');
      return cfn;
    },
    // Rounds: an event delivered late may start a function, whose execution may end with another event.
    async settled() {
      for (let round = 0; round < 3; round++) {
        await aws().cloudTrail.settled();
        await aws().lambda.settled();
        await aws().stepFunctions.settled();
      }
    },
  };
}
