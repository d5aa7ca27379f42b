/*
 * OrganizationBaseline across whole lifecycles (organization-lifecycle-support.ts says how they are run): convergence,
 * one writer at a time, accounts that join or leave the targets, removal; and, last, that no declared value travels
 * outside the accounts and the store, in the records every test of this file left.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import {
  accountName, ALL_ACCOUNTS, answersTo, attributesOf, aws, baselineLogicalId, baselineProperties, baselineStack, BILLING, bucketOf, cfn, COMPANY,
  contact, contactsOf, createAccountResult, DECLARED, deliver, DEV, DEV_OU, eventsSince, executionOf, executionsSince, fields, Json, logLines,
  MEMBERS, moveAccountCall, OPERATIONS, primary, primaryFields, PROD, PROD_OU, RESOURCE_TYPE, ROOT, SECURITY, STACK, stateOf, succeeded, TEAM,
  TEAM_OU, templateOf, useLocalOrganization, useTimeScale, writesTo,
} from './organization-lifecycle-support';
import type { GenerationEvent } from '../lambda/organization/events';
import type { ReconcileState } from '../lambda/organization/reconcile';
import { ExecutionRecord, MAX_RESPONSE_BYTES, scaledQuotas } from '../local';
import { BREAKER, captureConsole, MANAGEMENT, stackOf } from './support';
import { AlternateContactDetails, DeployWaitsFor, FailDeployOn, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

useLocalOrganization();

describe('convergence', () => {
  test('50 member accounts and the management account converge in one deploy; a new generation and a scheduled run write only what drifted', async () => {
    const props: OrganizationBaselineProps = {
      allAccounts: true,
      alternateContacts: { security: SECURITY, billing: BILLING, operations: OPERATIONS },
      primaryContact: COMPANY,
      reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
    };
    const stack = baselineStack(props);
    const result = await cfn.deploy(stack);

    expect(result.status).toBe('CREATE_COMPLETE');
    for (const id of ALL_ACCOUNTS) {
      expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY), BILLING: fields(BILLING), OPERATIONS: fields(OPERATIONS) });
      expect(aws.account(id).contactInformation).toEqual(primaryFields(COMPANY));
    }
    // Member accounts are written in organizations mode (AccountId), the management account in standalone mode.
    expect(writesTo(TEAM[0]).map(c => c.accountIdParameter)).toEqual([TEAM[0], TEAM[0], TEAM[0], TEAM[0]]);
    expect(writesTo(MANAGEMENT).map(c => c.accountIdParameter)).toEqual([undefined, undefined, undefined, undefined]);
    // The deploy waited for the contacts: the execution answered once they had converged.
    const first = attributesOf(stack);
    expect(answersTo(stack)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true, Data: first })]);
    expect(first.ContactsConverged).toBe('true');
    const execution = executionOf(first.Generation);
    expect(execution.executionArn).toBe(first.ExecutionArn);
    await aws.stepFunctions.settled();
    expect(execution.status).toBe('SUCCEEDED');
    expect(stateOf(execution)).toMatchObject({ Phase: 'done', Counts: { applied: 51, unchanged: 0, skipped: 0, failed: 0 } });
    expect(eventsSince()).toEqual([expect.objectContaining({
      detailType: BASELINE_EVENTS.converged, generation: first.Generation, accounts: { applied: 51, unchanged: 0, skipped: 0, failed: 0 },
    })]);

    // The same values in a new generation (the deploy now waits for everything): every account read, none written.
    aws.clearCalls();
    const second = baselineStack({ ...props, deployWaitsFor: DeployWaitsFor.EVERYTHING });
    expect((await cfn.deploy(second)).status).toBe('UPDATE_COMPLETE');
    expect(attributesOf(second).Generation).not.toBe(first.Generation);
    expect(writesTo()).toEqual([]);
    expect(succeeded('GetAlternateContact')).toHaveLength(3 * 51);
    await aws.stepFunctions.settled();
    expect(stateOf(executionOf(attributesOf(second).Generation)).Counts).toEqual({ applied: 0, unchanged: 51, skipped: 0, failed: 0 });

    // A scheduled run corrects what was changed by hand, and writes nothing else.
    aws.account(DEV[3]).alternateContacts.set('SECURITY', { ...fields(SECURITY), Name: 'Changed by hand' });
    aws.clearCalls();
    await deliver(second, 'Reconcile');
    expect(writesTo()).toEqual([expect.objectContaining({ operation: 'PutAlternateContact', target: DEV[3] })]);
    expect(contactsOf(DEV[3]).SECURITY).toEqual(fields(SECURITY));
    const scheduled = executionsSince().at(-1)!;
    expect(scheduled.name).toMatch(new RegExp(`^${baselineProperties(second).BaselineId}-${attributesOf(second).Generation}-s`));
    expect(stateOf(scheduled).Counts).toEqual({ applied: 1, unchanged: 50, skipped: 0, failed: 0 });
  });

  test('OUs include their nested OUs, excluded accounts are untouched, and overrides win', async () => {
    const TEAM_SECURITY = contact('Team Security');
    const TEAM_COMPANY = primary('Team Zero');
    const TEAM_NAME = accountName('Team Zero Production');
    const EXCLUDED = PROD[1];
    const stack = baselineStack({
      organizationalUnitIds: [PROD_OU],
      excludeAccountIds: [EXCLUDED],
      alternateContacts: { security: SECURITY, billing: BILLING },
      primaryContact: COMPANY,
      overrides: [
        { accountId: TEAM[0], alternateContacts: { security: TEAM_SECURITY }, primaryContact: TEAM_COMPANY, accountName: TEAM_NAME },
        // An override of an account outside the targets does not make it a target.
        { accountId: DEV[0], accountName: accountName('Not A Target') },
      ],
    });

    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');

    const targeted = [...PROD, ...TEAM].filter(id => id !== EXCLUDED);
    for (const id of targeted.filter(t => t !== TEAM[0])) {
      expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY), BILLING: fields(BILLING) });
      expect(aws.account(id).contactInformation).toEqual(primaryFields(COMPANY));
      expect(aws.account(id).name).toBe(`account-${id}`);
    }
    expect(contactsOf(TEAM[0])).toEqual({ SECURITY: fields(TEAM_SECURITY), BILLING: fields(BILLING) });
    expect(aws.account(TEAM[0]).contactInformation).toEqual(primaryFields(TEAM_COMPANY));
    expect(aws.account(TEAM[0]).name).toBe(TEAM_NAME);
    // Nothing at all is asked of the accounts outside the targets, nor of the excluded one.
    const touched = new Set(aws.calls.filter(c => c.target !== undefined).map(c => c.target));
    expect([...touched].sort()).toEqual(targeted.sort());
    for (const id of [EXCLUDED, ...DEV, ...ROOT, MANAGEMENT]) expect(contactsOf(id)).toEqual({});
    expect(aws.account(DEV[0]).name).toBe(`account-${DEV[0]}`);
    await aws.stepFunctions.settled();
    expect(stateOf(executionOf(attributesOf(stack).Generation)).Counts).toEqual({ applied: 14, unchanged: 0, skipped: 0, failed: 0 });
  });
});

describe('one writer: a newer generation supersedes the one before', () => {
  const OLD = contact('Old Generation');
  const NEW = contact('New Generation');

  interface Supersession {
    readonly accounts: string[];
    readonly stillToWrite: number;
    readonly staleWrites: number;
    readonly executions: { readonly older: string; readonly newer: string };
    readonly contacts: Array<Record<string, Json>>;
    readonly events: Array<GenerationEvent & { detailType: string }>;
    readonly olderGeneration: string;
    readonly newerGeneration: string;
    readonly newerDeploy: string;
  }

  /**
   * A generation (deployWaitsFor NOTHING) writing OLD into the accounts, superseded by a deploy of NEW once
   * it has begun writing (and once `cue` has resolved): what each wrote, and when the newer became current,
   * both taken from the services as they served the calls.
   */
  async function supersede(targets: Partial<OrganizationBaselineProps>, accounts: string[], cue?: () => Promise<unknown>): Promise<Supersession> {
    const puts = jest.spyOn(aws.accountApi, 'dispatch');
    const s3 = jest.spyOn(aws.s3, 'serve');
    try {
      const stack = (value: AlternateContactDetails, deployWaitsFor: DeployWaitsFor) => baselineStack({
        ...targets, deployWaitsFor, alternateContacts: { security: value, billing: value, operations: value },
      });
      const older = stack(OLD, DeployWaitsFor.NOTHING);
      const newer = stack(NEW, DeployWaitsFor.CONTACTS);
      templateOf(newer); // synthesized ahead, so that the newer deploy starts at once
      const writing = aws.nextCall(c => c.operation === 'PutAlternateContact' && c.status === 200);
      expect((await cfn.deploy(older)).status).toBe('CREATE_COMPLETE');
      const olderGeneration = attributesOf(older).Generation;
      await writing;
      await cue?.();
      const newerDeploy = (await cfn.deploy(newer)).status;
      const newerGeneration = attributesOf(newer).Generation;
      await aws.stepFunctions.settled();

      const order = (spy: jest.SpyInstance, i: number) => spy.mock.invocationCallOrder[i];
      const current = s3.mock.calls.findIndex(([method, url, body]) => method === 'PUT' && url.pathname.endsWith('/current.json')
        && JSON.parse(body).generation === newerGeneration);
      const oldPuts = puts.mock.calls.map((call, i) => ({ call, order: order(puts, i) }))
        .filter(({ call: [operation, , body] }) => operation === 'PutAlternateContact' && body.Name === OLD.name);
      const becameCurrent = order(s3, current);
      return {
        accounts,
        stillToWrite: 3 * accounts.length - oldPuts.filter(p => p.order < becameCurrent).length,
        staleWrites: oldPuts.filter(p => p.order > becameCurrent).length,
        executions: { older: executionOf(olderGeneration).status, newer: executionOf(newerGeneration).status },
        contacts: accounts.map(contactsOf),
        events: eventsSince(),
        olderGeneration,
        newerGeneration,
        newerDeploy,
      };
    } finally {
      puts.mockRestore();
      s3.mockRestore();
    }
  }

  test('a generation still running when a newer deploy starts is stopped, and the accounts end with the newer values', async () => {
    const result = await supersede({ allAccounts: true }, ALL_ACCOUNTS);

    expect(result.stillToWrite).toBeGreaterThan(0); // the older generation was still writing when it was superseded
    expect(result.newerDeploy).toBe('UPDATE_COMPLETE');
    expect(result.newerGeneration > result.olderGeneration).toBe(true);
    expect(result.executions).toEqual({ older: 'ABORTED', newer: 'SUCCEEDED' });
    for (const contacts of result.contacts) expect(contacts).toEqual({ SECURITY: fields(NEW), BILLING: fields(NEW), OPERATIONS: fields(NEW) });
    // Only the newer generation converged.
    expect(result.events.map(e => [e.generation, e.detailType])).toEqual([[result.newerGeneration, BASELINE_EVENTS.converged]]);
  });

  test('a superseded generation makes no write with its old values once the newer generation is current', async () => {
    // Time runs slowly enough (a poll every second) for the newer deploy to make its generation current between two polls.
    const scale = 2;
    useTimeScale(scale);
    aws.rateQuotas = scaledQuotas(scale);
    const polled = () => aws.nextCall(c => c.operation === 's3:GET object'); // the older generation's next look at current.json
    const result = await supersede({ organizationalUnitIds: [PROD_OU] }, [...PROD, ...TEAM], polled);

    expect(result.stillToWrite).toBeGreaterThan(0);
    expect(result.staleWrites).toBe(0);
  });

  const BEFORE = contact('Before Rollback');
  const AFTER = contact('After Rollback');

  test('a rolled-back deploy starts a generation of the old values that supersedes the failed one and restores them', async () => {
    const stack = (value: AlternateContactDetails) => baselineStack({
      allAccounts: true, alternateContacts: { security: value, billing: value, operations: value },
    }, { breaker: 'beside' });
    const original = stack(BEFORE);
    expect((await cfn.deploy(original)).status).toBe('CREATE_COMPLETE');
    const before = attributesOf(original);
    await aws.stepFunctions.settled();

    // The other resource fails while the new generation writes: CloudFormation cancels the baseline's update and rolls it back.
    aws.clearCalls();
    const writing = aws.nextCall(c => c.operation === 'PutAlternateContact' && c.status === 200);
    const result = await cfn.deploy(stack(AFTER), { breakResources: { [BREAKER]: { when: writing } } });
    await aws.stepFunctions.settled();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failures.map(f => f.logicalId)).toEqual([BREAKER]);
    for (const id of ALL_ACCOUNTS) expect(contactsOf(id)).toEqual({ SECURITY: fields(BEFORE), BILLING: fields(BEFORE), OPERATIONS: fields(BEFORE) });
    const [first, failed, rollback] = executionsSince();
    expect(first.name.endsWith(before.Generation)).toBe(true);
    const generationOf = (e: ExecutionRecord) => stateOf(e).Generation;
    expect(generationOf(rollback) > generationOf(failed)).toBe(true);
    expect([failed.status, rollback.status]).toEqual(['ABORTED', 'SUCCEEDED']);
    // The rollback was answered at once (a rollback that timed out would fail the stack); an answer of the failed update came too late to count.
    const responses = answersTo(original).slice(1);
    expect(responses).toContainEqual(expect.objectContaining({
      Status: 'SUCCESS', awaited: true, Data: expect.objectContaining({ Generation: generationOf(rollback), ContactsConverged: 'false' }),
    }));
    expect(responses.filter(r => r.Data?.Generation === generationOf(failed) || (r.Reason ?? '').includes(generationOf(failed))).every(r => !r.awaited)).toBe(true);
    expect(attributesOf(original).Generation).toBe(generationOf(rollback));
    expect(eventsSince().map(e => e.generation)).toEqual([before.Generation, generationOf(rollback)]);
  });

  test('with pruneUndeclared, a rolled-back deploy that added a contact type deletes it again, though the failed generation stopped part-way', async () => {
    const stack = (value: AlternateContactDetails, withBilling: boolean) => baselineStack({
      organizationalUnitIds: [TEAM_OU], alternateContacts: { security: value, ...(withBilling ? { billing: value } : {}) }, pruneUndeclared: true,
    }, { breaker: 'beside' });
    expect((await cfn.deploy(stack(BEFORE, false))).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    aws.clearCalls();
    const writing = aws.nextCall(c => c.operation === 'PutAlternateContact' && c.status === 200);
    const result = await cfn.deploy(stack(AFTER, true), { breakResources: { [BREAKER]: { when: writing } } });
    await aws.stepFunctions.settled();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(executionsSince().map(e => e.status)).toEqual(['SUCCEEDED', 'ABORTED', 'SUCCEEDED']);
    for (const id of TEAM) expect(contactsOf(id)).toEqual({ SECURITY: fields(BEFORE) });
  });
});

describe('accounts that join or leave the targets', () => {
  const CREATED = '201000000001';
  const MOVED = ROOT[0];

  interface NewAccounts {
    readonly createdAtCreation: { readonly calls: number; readonly contacts: Record<string, Json> };
    readonly created: Record<string, Json>;
    readonly moved: Record<string, Json>;
    readonly movedCalls: string[];
    readonly executions: Array<{ name: string; status: string; counts: ReconcileState['Counts'] }>;
    readonly baselineId: string;
    readonly generation: string;
  }
  let newAccounts: NewAccounts | undefined;

  /**
   * A baseline of PROD_OU that covers new accounts: CREATED is created in the root (CreateAccountResult), then
   * moved into PROD_OU; MOVED, an old account of the root, is moved into TEAM_OU (nested in PROD_OU).
   */
  async function joinTheTargets(): Promise<NewAccounts> {
    if (newAccounts) return newAccounts;
    const stack = baselineStack({ organizationalUnitIds: [PROD_OU], alternateContacts: { security: SECURITY }, coverNewAccounts: true });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();
    const generation = attributesOf(stack).Generation;
    const since = aws.stepFunctions.executions.length;

    aws.clearCalls();
    aws.addAccount(CREATED, { member: true });
    await deliver(stack, 'CreateAccountRule', createAccountResult(CREATED));
    const createdAtCreation = { calls: aws.calls.filter(c => c.target === CREATED).length, contacts: contactsOf(CREATED) };

    aws.moveAccount(CREATED, PROD_OU);
    await deliver(stack, 'MoveAccountRule', moveAccountCall(CREATED, aws.rootId, PROD_OU));
    aws.clearCalls();
    aws.moveAccount(MOVED, TEAM_OU);
    await deliver(stack, 'MoveAccountRule', moveAccountCall(MOVED, aws.rootId, TEAM_OU));
    newAccounts = {
      createdAtCreation,
      created: contactsOf(CREATED),
      moved: contactsOf(MOVED),
      movedCalls: aws.calls.filter(c => c.target === MOVED).map(c => c.operation),
      executions: aws.stepFunctions.executions.slice(since).map(e => ({ name: e.name, status: e.status, counts: stateOf(e).Counts })),
      baselineId: baselineProperties(stack).BaselineId,
      generation,
    };
    return newAccounts;
  }

  test('an account created outside the targets is ignored, and an account moved into a (nested) targeted OU gets the baseline', async () => {
    const result = await joinTheTargets();
    // An account's execution: the baseline, the account, and a digest of the generation and the event.
    const accountRun = (account: string) => expect.stringMatching(new RegExp(`^${result.baselineId}-a${account}-[0-9a-f]{32}$`));

    expect(result.createdAtCreation).toEqual({ calls: 0, contacts: {} });
    expect(result.executions[0]).toEqual({ name: accountRun(CREATED), status: 'SUCCEEDED', counts: { applied: 0, unchanged: 0, skipped: 0, failed: 0 } });
    expect(result.moved).toEqual({ SECURITY: fields(SECURITY) });
    expect(result.movedCalls).toEqual(['GetAlternateContact', 'PutAlternateContact']);
    expect(result.executions).toContainEqual({ name: accountRun(MOVED), status: 'SUCCEEDED', counts: { applied: 1, unchanged: 0, skipped: 0, failed: 0 } });
  });

  test('an account created outside the targets gets the baseline once moved into a targeted OU', async () => {
    const result = await joinTheTargets();
    expect(result.created).toEqual({ SECURITY: fields(SECURITY) });
  });

  test('a scheduled run covers an account that joined the organization since the deploy', async () => {
    const INVITED = '201000000002';
    const stack = baselineStack({
      allAccounts: true, alternateContacts: { security: SECURITY }, reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
    });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    aws.addAccount(INVITED, { member: true });
    await deliver(stack, 'Reconcile');

    expect(contactsOf(INVITED)).toEqual({ SECURITY: fields(SECURITY) });
  });

  test('an explicit account that left the organization or was closed is skipped and reported, and the deploy succeeds', async () => {
    const [STAYS, ALSO_STAYS, LEFT, CLOSED] = DEV;
    aws.organization.removeMember(LEFT);
    aws.setAccountStatus(CLOSED, 'SUSPENDED');
    const stack = baselineStack({ accountIds: [STAYS, ALSO_STAYS, LEFT, CLOSED], alternateContacts: { security: SECURITY } });

    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    expect(contactsOf(STAYS)).toEqual({ SECURITY: fields(SECURITY) });
    expect(contactsOf(ALSO_STAYS)).toEqual({ SECURITY: fields(SECURITY) });
    const skipped = [
      { accountId: LEFT, reason: 'the account is not a member of the organization' },
      { accountId: CLOSED, reason: 'the account is closed' },
    ];
    const state = stateOf(executionOf(attributesOf(stack).Generation));
    expect(state).toMatchObject({ Counts: { applied: 2, unchanged: 0, skipped: 2, failed: 0 }, Skipped: skipped, Failures: [] });
    expect(eventsSince()).toEqual([expect.objectContaining({ detailType: BASELINE_EVENTS.converged, skipped, failures: [] })]);
    expect(answersTo(stack)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
  });

  test('contacts that fail for another reason fail the deploy, naming the accounts in a response within 4 KB', async () => {
    // Any failed account fails the deploy (by default only the accounts the baseline lists do: organization-failures.test.ts).
    const props: OrganizationBaselineProps = { allAccounts: true, alternateContacts: { security: SECURITY }, failDeployOn: FailDeployOn.ANY_ACCOUNT };
    expect((await cfn.deploy(baselineStack(props))).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    // A service control policy denies 30 member accounts' contacts (they are active members: not skipped).
    const denied = MEMBERS.slice(20);
    aws.injectFault({
      operation: 'PutAlternateContact',
      status: 403,
      errorType: 'AccessDeniedException',
      count: Infinity,
      when: body => denied.includes(String(body.AccountId)),
      message: `User: arn:aws:sts::${MANAGEMENT}:assumed-role/handler is not authorized to perform: account:PutAlternateContact with an explicit deny `
        + `in a service control policy: ${'arn:aws:organizations::111111111111:policy/o-exampleorgid/service_control_policy/p-deny '.repeat(12)}`,
    });
    const updated = contact('Denied Update');
    const stack = baselineStack({ ...props, alternateContacts: { security: updated } });
    const result = await cfn.deploy(stack);

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    const answer = answersTo(stack).find(r => r.Status === 'FAILED')!;
    expect(answer.awaited).toBe(true);
    expect(answer.bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(answer.Reason).toMatch(new RegExp(`^The organization baseline failed for 30 account\\(s\\): ${denied.slice(0, 10).join(', ')} and 20 more`));
    expect(answer.Reason).toContain(`${denied[0]}: PutAlternateContact for the SECURITY alternate contact of account ${denied[0]}`);
    expect(answer.Reason).toContain('21 applied, 0 unchanged, 0 skipped, 30 failed');
    expect(answer.Reason).toMatch(/; execution arn:aws:states:[^ ]+\.$/); // the whole summary, not cut
    expect(result.failures[0].reason).toContain(answer.Reason);
  });

  test('with pruneUndeclared, a contact type dropped from the baseline and the accounts that leave its targets lose the baseline\'s contacts', async () => {
    const EXCLUDED = PROD[2];
    const MOVED_OUT = TEAM[1];
    const targets = [...PROD, ...TEAM];
    // A contact the baseline never declared stays, whatever happens.
    aws.account(PROD[0]).alternateContacts.set('OPERATIONS', fields(OPERATIONS));
    const props: OrganizationBaselineProps = {
      organizationalUnitIds: [PROD_OU], alternateContacts: { security: SECURITY, billing: BILLING }, pruneUndeclared: true,
    };
    expect((await cfn.deploy(baselineStack(props))).status).toBe('CREATE_COMPLETE');
    for (const id of targets) expect(Object.keys(contactsOf(id)).sort()).toEqual(id === PROD[0] ? ['BILLING', 'OPERATIONS', 'SECURITY'] : ['BILLING', 'SECURITY']);
    await aws.stepFunctions.settled();

    // BILLING dropped: deleted from every account of the targets.
    aws.clearCalls();
    const securityOnly: OrganizationBaselineProps = { ...props, alternateContacts: { security: SECURITY } };
    expect((await cfn.deploy(baselineStack(securityOnly))).status).toBe('UPDATE_COMPLETE');
    for (const id of targets) expect(Object.keys(contactsOf(id)).sort()).toEqual(id === PROD[0] ? ['OPERATIONS', 'SECURITY'] : ['SECURITY']);
    expect(succeeded('DeleteAlternateContact')).toHaveLength(targets.length);
    await aws.stepFunctions.settled();

    // An account excluded: it is left untouched, as the documentation says (it keeps what the baseline wrote).
    aws.clearCalls();
    const excluding: OrganizationBaselineProps = { ...securityOnly, excludeAccountIds: [EXCLUDED] };
    expect((await cfn.deploy(baselineStack(excluding))).status).toBe('UPDATE_COMPLETE');
    expect(Object.keys(contactsOf(EXCLUDED))).toEqual(['SECURITY']);
    expect(succeeded('DeleteAlternateContact')).toEqual([]);
    await aws.stepFunctions.settled();

    // An account moved out of the OU: the next generation (here, a deploy that only waits for more) prunes it.
    aws.moveAccount(MOVED_OUT, aws.rootId);
    aws.clearCalls();
    expect((await cfn.deploy(baselineStack({ ...excluding, deployWaitsFor: DeployWaitsFor.EVERYTHING }))).status).toBe('UPDATE_COMPLETE');
    expect(contactsOf(MOVED_OUT)).toEqual({});
    expect(succeeded('DeleteAlternateContact').map(c => c.target)).toEqual([MOVED_OUT]);

    for (const id of targets.filter(t => t !== EXCLUDED && t !== MOVED_OUT)) expect(contactsOf(id).SECURITY).toEqual(fields(SECURITY));
    expect(contactsOf(PROD[0]).OPERATIONS).toEqual(fields(OPERATIONS));
  });

  test('without pruneUndeclared, nothing is deleted: neither a dropped contact type nor the contacts of an account that left the targets', async () => {
    const EXCLUDED = PROD[2];
    const props: OrganizationBaselineProps = { organizationalUnitIds: [PROD_OU], alternateContacts: { security: SECURITY, billing: BILLING } };
    expect((await cfn.deploy(baselineStack(props))).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    aws.clearCalls();
    expect((await cfn.deploy(baselineStack({ ...props, alternateContacts: { security: SECURITY }, excludeAccountIds: [EXCLUDED] }))).status).toBe('UPDATE_COMPLETE');
    await aws.stepFunctions.settled();

    expect(aws.callsOf('DeleteAlternateContact')).toEqual([]);
    for (const id of [...PROD, ...TEAM]) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY), BILLING: fields(BILLING) });
  });
});

describe('removal', () => {
  test('a baseline removed with removeAlternateContactsOnDelete deletes its contacts, and the stack\'s bucket ends empty', async () => {
    const stack = baselineStack({
      organizationalUnitIds: [TEAM_OU],
      alternateContacts: { security: SECURITY, billing: BILLING },
      primaryContact: COMPANY,
      removeAlternateContactsOnDelete: true,
    });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();
    const bucket = bucketOf(stack);
    expect(aws.s3.buckets.get(bucket)?.size).toBeGreaterThan(0);
    aws.account(TEAM[0]).alternateContacts.set('OPERATIONS', fields(OPERATIONS)); // not the baseline's: stays

    const result = await cfn.destroy(STACK);
    await aws.stepFunctions.settled();

    // The stack's bucket is deleted with it, which S3 allows only once it is empty.
    expect(result.status).toBe('DELETE_COMPLETE');
    expect(aws.s3.buckets.has(bucket)).toBe(false);
    for (const id of TEAM) {
      expect(contactsOf(id)).toEqual(id === TEAM[0] ? { OPERATIONS: fields(OPERATIONS) } : {});
      expect(aws.account(id).contactInformation).toEqual(primaryFields(COMPANY)); // the API cannot delete it
    }
    const removal = executionsSince().at(-1)!;
    expect(removal.status).toBe('SUCCEEDED');
    expect(stateOf(removal).Counts).toEqual({ applied: TEAM.length, unchanged: 0, skipped: 0, failed: 0 });
  });

  test('a baseline removed without removeAlternateContactsOnDelete leaves the contacts, and its stored data is gone', async () => {
    const withBaselines = (both: boolean) => stackOf(stack => {
      if (both) new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [TEAM_OU], alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(stack, 'Other', { organizationalUnitIds: [DEV_OU], alternateContacts: { billing: BILLING } });
    });
    const stack = withBaselines(true);
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();
    const bucket = bucketOf(stack);
    const keysOf = (id: string) => [...aws.s3.buckets.get(bucket)!.keys()].filter(k => k.startsWith(`baselines/${baselineProperties(stack, id).BaselineId}/`));
    expect(keysOf('Baseline').length).toBeGreaterThan(0);

    aws.clearCalls();
    expect((await cfn.deploy(withBaselines(false))).status).toBe('UPDATE_COMPLETE');

    for (const id of TEAM) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY) });
    expect(aws.callsOf('DeleteAlternateContact')).toEqual([]);
    expect(keysOf('Baseline')).toEqual([]);
    expect(keysOf('Other').length).toBeGreaterThan(0); // the other baseline's generations are its own
  });
});

describe('values travel by reference', () => {
  // Runs last: besides its own lifecycle, it reads what every test of the file left in the services' records.
  test('no contact value is in an execution\'s input or output, a log line, an event, a response or the template outside the baseline\'s own properties', async () => {
    const OVERRIDE = contact('Override Value');
    const JOINED = '201000000003';
    const stack = baselineStack({
      organizationalUnitIds: [DEV_OU],
      alternateContacts: { security: SECURITY, billing: BILLING },
      primaryContact: COMPANY,
      overrides: [{ accountId: DEV[0], alternateContacts: { operations: OVERRIDE }, primaryContact: primary('Override Company'), accountName: accountName('Override Name') }],
      coverNewAccounts: true,
      reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
      removeAlternateContactsOnDelete: true,
      failDeployOn: FailDeployOn.ANY_ACCOUNT,
    });
    const { output, error } = await captureConsole(async () => {
      // One account fails (its failure is quoted in the log, the event and the response), one joins, a scheduled run, the removal.
      aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', count: Infinity, when: body => body.AccountId === DEV[9] });
      expect((await cfn.deploy(stack)).status).toBe('ROLLBACK_COMPLETE');
      aws.clearFaults();
      await aws.stepFunctions.settled();
      expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
      aws.addAccount(JOINED, { member: true });
      aws.moveAccount(JOINED, DEV_OU);
      await deliver(stack, 'MoveAccountRule', moveAccountCall(JOINED, aws.rootId, DEV_OU));
      await deliver(stack, 'Reconcile');
      expect((await cfn.destroy(STACK)).status).toBe('DELETE_COMPLETE');
      await aws.stepFunctions.settled();
    });
    expect(error).toBeUndefined();
    expect(contactsOf(JOINED)).toEqual({}); // it had the baseline, and lost it with the removal
    expect(output).toContain('"setting":"organization baseline"'); // the handlers' lines were captured

    const values = [...DECLARED];
    const leaks = (where: string, text: string) => values.filter(v => text.includes(v)).map(v => `${where}: ${v}`);
    const template = templateOf(stack).Resources;
    const found = [
      ...leaks('this test\'s log', output),
      ...logLines.flatMap((line, i) => leaks(`log line ${i}`, line)),
      ...aws.stepFunctions.executions.flatMap(e => [...leaks(`input of ${e.name}`, e.input), ...leaks(`output of ${e.name}`, e.output ?? '')]),
      ...aws.eventBus.events.flatMap((e, i) => leaks(`event ${i}`, JSON.stringify(e))),
      ...aws.cloudFormation.responses.flatMap((r, i) => leaks(`response ${i}`, JSON.stringify(r))),
      ...Object.entries(template).filter(([, r]) => r.Type !== RESOURCE_TYPE).flatMap(([id, r]) => leaks(`template ${id}`, JSON.stringify(r))),
    ];
    expect(found).toEqual([]);
    // What was searched holds what it should: executions of every kind, their events, the rules' inputs.
    const names = executionsSince().map(e => e.name);
    expect(names).toContainEqual(expect.stringMatching(`-a${JOINED}-[0-9a-f]{32}$`));
    expect(names).toContainEqual(expect.stringMatching(/-s[0-9a-z]+$/));
    expect(eventsSince().map(e => e.detailType)).toEqual(expect.arrayContaining([BASELINE_EVENTS.failed, BASELINE_EVENTS.converged]));
    // The baseline's schedule, the stack's three new-account rules, and the waiter's rule on executions that end unsuccessfully.
    expect(Object.values(template).filter(r => r.Type === 'AWS::Events::Rule')).toHaveLength(4 + 1);
    expect(JSON.stringify(template[baselineLogicalId(stack)])).toContain(SECURITY.emailAddress); // the search would see one
  });
});
