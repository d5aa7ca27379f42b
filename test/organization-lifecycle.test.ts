/*
 * OrganizationBaseline across whole lifecycles, as AWS runs it: stacks synthesized from the construct and
 * deployed by the local CloudFormation (resources started at once, a failure cancelling what is in
 * progress and rolling back), the organization function's real bundle answering CloudFormation itself,
 * each generation converged by the stack's Step Functions state machine (aws-local-stepfunctions) in
 * steps that read the baseline's values from the stack's S3 bucket, against an organization of 50 member
 * accounts (some in nested OUs) and the management account, whose Account Management quotas are enforced.
 *
 * The rules that start executions besides deploys (new accounts, the schedule) have no local EventBridge:
 * the tests deliver their events by invoking the function with exactly the input the synthesized rule
 * would send (its InputTransformer or Input, resolved against the deployed stack), after checking that the
 * rule's pattern matches the event.
 */
import { randomUUID } from 'crypto';
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { GenerationEvent } from '../lambda/organization/events';
import type { ReconcileState } from '../lambda/organization/reconcile';
import { DeployResult, ExecutionRecord, LocalAws, LocalCloudFormation, matches, MAX_RESPONSE_BYTES, RegionOptStatus, scaledQuotas } from '../local';
import { addBreaker, BREAKER, captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContactDetails, DeployWaitsFor, FailDeployOn, OrganizationBaseline, OrganizationBaselineProps, PrimaryContactDetails } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 50 }, (_, i) => String(200000000000 + i));
const PROD_OU = 'ou-root-prod0001';
const TEAM_OU = 'ou-root-team0001'; // nested in PROD_OU
const DEV_OU = 'ou-root-dev00001';
const PROD = MEMBERS.slice(0, 10);
const TEAM = MEMBERS.slice(10, 15);
const DEV = MEMBERS.slice(15, 25);
const ROOT = MEMBERS.slice(25);
/** Where each member account lives at the start of every test. */
const PLACEMENT = new Map<string, string>([
  ...PROD.map((id): [string, string] => [id, PROD_OU]),
  ...TEAM.map((id): [string, string] => [id, TEAM_OU]),
  ...DEV.map((id): [string, string] => [id, DEV_OU]),
]);
const ALL_ACCOUNTS = [MANAGEMENT, ...MEMBERS];
const STACK = 'Settings';
const RESOURCE_TYPE = 'Custom::AccountOrganizationBaseline';
const OPT_IN_REGIONS = ['af-south-1', 'ap-east-1', 'me-south-1'];
const WRITES = ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName'];

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;
/** What the services held before the test began: each test looks at what came after. */
let marks = { executions: 0, events: 0, responses: 0 };
/** Every line the handlers logged in this file (test 'no contact value…' reads them all). */
const logLines: string[] = [];
/** The steps in progress: an execution that is stopped ends at once, the step it was running does not. */
const running = new Set<Promise<unknown>>();

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  aws = local.aws;
  aws.addOrganizationalUnit(PROD_OU);
  aws.addOrganizationalUnit(TEAM_OU, PROD_OU);
  aws.addOrganizationalUnit(DEV_OU);
  const invoke = aws.lambda.invoke.bind(aws.lambda);
  aws.lambda.invoke = (arn: string, payload: unknown) => {
    const invocation = invoke(arn, payload);
    running.add(invocation);
    void invocation.catch(() => undefined).finally(() => running.delete(invocation));
    return invocation;
  };
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  for (const method of ['info', 'log', 'warn', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map(a => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
  aws.callerAccountId = MANAGEMENT;
  aws.trustedAccess = true;
  aws.quotaScope = 'caller';
  aws.rateQuotas = scaledQuotas(TIME_SCALE);
  aws.regionTransitionMs = 0;
  aws.accountApi.maxTransitionsPerAccount = 6;
  aws.accountApi.maxTransitionsPerOrganization = 20;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  // The organization as it was: members back, active, in their OUs; accounts a test added are gone.
  for (const id of [...aws.accounts.keys()].filter(known => !ALL_ACCOUNTS.includes(known))) {
    aws.organization.removeMember(id);
    aws.accounts.delete(id);
  }
  for (const id of MEMBERS) {
    aws.members.add(id);
    aws.moveAccount(id, PLACEMENT.get(id) ?? aws.rootId);
    aws.setAccountStatus(id, 'ACTIVE');
  }
  for (const account of aws.accounts.values()) {
    account.alternateContacts.clear();
    account.contactInformation = undefined;
    account.name = `account-${account.id}`;
    for (const [regionName, state] of account.regions) {
      if (state.status !== 'ENABLED_BY_DEFAULT') aws.setRegionStatus(account.id, regionName, 'DISABLED');
    }
  }
  // Each test deploys its stack afresh, with an empty store.
  aws.s3.buckets.clear();
  cfn = new LocalCloudFormation(aws);
  marks = { executions: aws.stepFunctions.executions.length, events: aws.eventBus.events.length, responses: aws.cloudFormation.responses.length };
});

afterEach(async () => {
  // No test leaves a transition in progress, an execution running or a time scale of its own for the next.
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  aws.regionTransitionMs = 0;
  settleAllRegions();
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
  while (running.size > 0) await Promise.allSettled([...running]);
});

// --- the values a baseline declares: each is recorded, and must never show outside the accounts and the store ---

/** Every value the tests declare (test 'no contact value…' looks for each of them everywhere). */
const DECLARED = new Set<string>();
let serial = 0;

function declared<T extends object>(details: T, except: Array<keyof T> = []): T {
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'string' && !except.includes(key as keyof T)) DECLARED.add(value);
  }
  return details;
}

/** An alternate contact whose every field names `label`. */
function contact(label: string): AlternateContactDetails {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  return declared({
    name: `${label} Desk`, title: `${label} Lead`, emailAddress: `${slug}.desk@example.com`, phoneNumber: `+1 (206) 555-${1000 + ++serial}`,
  });
}

/** A primary contact whose every field (but the country) names `label`. */
function primary(label: string): PrimaryContactDetails {
  return declared({
    fullName: `${label} Owner`,
    addressLine1: `${label} Building, 410 Terry Avenue North`,
    city: `${label} City`,
    companyName: `${label} Holdings`,
    countryCode: 'US',
    stateOrRegion: `${label} County WA`,
    postalCode: `98109-${1000 + ++serial}`,
    phoneNumber: `+1 206-555-${1000 + ++serial}`,
  }, ['countryCode']);
}

function accountName(name: string): string {
  DECLARED.add(name);
  return name;
}

/** An alternate contact as the Account API holds it. */
function fields(details: AlternateContactDetails) {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** A primary contact as the Account API holds it. */
function primaryFields(details: PrimaryContactDetails) {
  return {
    FullName: details.fullName,
    AddressLine1: details.addressLine1,
    City: details.city,
    CompanyName: details.companyName,
    CountryCode: details.countryCode,
    StateOrRegion: details.stateOrRegion,
    PostalCode: details.postalCode,
    PhoneNumber: details.phoneNumber,
  };
}

const SECURITY = contact('Security Operations');
const BILLING = contact('Accounts Payable');
const OPERATIONS = contact('Platform On Call');
const COMPANY = primary('Example Corp');

// --- stacks, resources and rules ---

/** A stack with one OrganizationBaseline ('Baseline'), and optionally a breaker after it or beside it. */
function baselineStack(props: OrganizationBaselineProps, options: { breaker?: 'after' | 'beside' } = {}): Stack {
  return stackOf(stack => {
    const baseline = new OrganizationBaseline(stack, 'Baseline', props);
    if (options.breaker) addBreaker(stack);
    if (options.breaker === 'after') stack.node.findChild(BREAKER).node.addDependency(baseline);
  });
}

/** The stack's template, as the deploy synthesized it. */
function templateOf(stack: Stack): { Resources: Record<string, Json> } {
  return Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template;
}

/** The logical id of the baseline `id` of the stack. */
function baselineLogicalId(stack: Stack, id = 'Baseline'): string {
  const logicalId = Object.keys(templateOf(stack).Resources).find(l => new RegExp(`^${id}[0-9A-F]{8}$`).test(l));
  if (!logicalId) throw new Error(`no ${id} in the template`);
  return logicalId;
}

/** The baseline's properties in the template (BaselineId, Store…). */
function baselineProperties(stack: Stack, id = 'Baseline'): Record<string, Json> {
  return templateOf(stack).Resources[baselineLogicalId(stack, id)].Properties;
}

/** The attributes CloudFormation holds for the baseline (ExecutionArn, Generation, ContactsConverged). */
function attributesOf(stack: Stack, id = 'Baseline'): Record<string, string> {
  return cfn.resource(STACK, baselineLogicalId(stack, id))?.attributes ?? {};
}

/** The name of the stack's bucket, where the generations are stored. */
function bucketOf(stack: Stack): string {
  return resolve(baselineProperties(stack).Store);
}

/** Resolves the intrinsic functions of a rule's target against the deployed stack. */
function resolve(value: Json): Json {
  if (typeof value === 'string') return value;
  if (value.Ref === 'AWS::StackId') return cfn.stackOf(STACK).stackId;
  if (value.Ref) return cfn.resource(STACK, value.Ref)!.attributes.Ref ?? cfn.resource(STACK, value.Ref)!.physicalId;
  if (value['Fn::GetAtt']) return cfn.resource(STACK, value['Fn::GetAtt'][0])!.attributes[value['Fn::GetAtt'][1]];
  if (value['Fn::Join']) return (value['Fn::Join'][1] as Json[]).map(resolve).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** What a rule of the stack (CreateAccountRule, MoveAccountRule, a baseline's Reconcile) would send its target for `event`. */
function ruleTarget(stack: Stack, rule: string, event?: Json): { functionArn: string; input: Json } {
  const found = Object.entries(templateOf(stack).Resources)
    .find(([logicalId, resource]) => resource.Type === 'AWS::Events::Rule' && new RegExp(`^[A-Za-z0-9]*${rule}[0-9A-F]{8}$`).test(logicalId));
  if (!found) throw new Error(`no rule ${rule} in the template`);
  const properties = found[1].Properties;
  if (event) expect(matches(properties.EventPattern, event)).toBe(true);
  const target = properties.Targets[0];
  const pathOf = (path: string) => path.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce((value: Json, key) => value?.[key], event);
  const input = target.InputTransformer
    ? resolve(target.InputTransformer.InputTemplate).replace(/<(\w+)>/g, (_: string, name: string) => JSON.stringify(pathOf(target.InputTransformer.InputPathsMap[name])))
    : resolve(target.Input);
  return { functionArn: resolve(target.Arn), input: JSON.parse(input) };
}

/** Delivers `event` as the rule would (the function invoked with the rule's input), and waits for the executions it started. */
async function deliver(stack: Stack, rule: string, event?: Json): Promise<void> {
  const { functionArn, input } = ruleTarget(stack, rule, event);
  await aws.lambda.invoke(functionArn, input);
  await aws.stepFunctions.settled();
}

/** AWS Organizations' CreateAccountResult, as EventBridge delivers it. */
function createAccountResult(accountId: string): Json {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'AWS Service Event via CloudTrail',
    'source': 'aws.organizations',
    'account': MANAGEMENT,
    'time': new Date().toISOString(),
    'region': 'us-east-1',
    'resources': [],
    'detail': {
      eventVersion: '1.08',
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CreateAccountResult',
      awsRegion: 'us-east-1',
      eventType: 'AwsServiceEvent',
      readOnly: false,
      managementEvent: true,
      recipientAccountId: MANAGEMENT,
      serviceEventDetails: {
        createAccountStatus: {
          id: 'car-0123456789abcdef0123456789abcdef',
          state: 'SUCCEEDED',
          accountName: '****',
          accountId,
          requestedTimestamp: 'Mar 1, 2026 10:00:00 AM',
          completedTimestamp: 'Mar 1, 2026 10:02:00 AM',
        },
      },
    },
  };
}

/** AWS Organizations' MoveAccount, as EventBridge delivers the CloudTrail record. */
function moveAccountCall(accountId: string, sourceParentId: string, destinationParentId: string): Json {
  return {
    'version': '0',
    'id': randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    'source': 'aws.organizations',
    'account': MANAGEMENT,
    'time': new Date().toISOString(),
    'region': 'us-east-1',
    'resources': [],
    'detail': {
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', accountId: MANAGEMENT, arn: `arn:aws:sts::${MANAGEMENT}:assumed-role/Admin/someone` },
      eventSource: 'organizations.amazonaws.com',
      eventName: 'MoveAccount',
      awsRegion: 'us-east-1',
      requestParameters: { accountId, sourceParentId, destinationParentId },
      responseElements: null,
      eventType: 'AwsApiCall',
      readOnly: false,
      managementEvent: true,
      recipientAccountId: MANAGEMENT,
    },
  };
}

// --- what the services hold ---

function executionsSince(): ExecutionRecord[] {
  return aws.stepFunctions.executions.slice(marks.executions);
}

/** The execution of the generation (or of one account, or a scheduled run, with their suffix). */
function executionOf(generation: string): ExecutionRecord {
  const execution = executionsSince().find(e => e.name.endsWith(generation));
  if (!execution) throw new Error(`no execution of ${generation}`);
  return execution;
}

/** The state an execution ended with (its output), or began with (its input) while it runs. */
function stateOf(execution: ExecutionRecord): ReconcileState {
  return JSON.parse(execution.output ?? execution.input);
}

function eventsSince(): Array<GenerationEvent & { detailType: string }> {
  return aws.eventBus.events.slice(marks.events).map(e => ({ ...JSON.parse(e.Detail), detailType: e.DetailType }));
}

/** The answers to the requests of the stack's baseline (`id`) since the test began. */
function answersTo(stack: Stack, id = 'Baseline') {
  const logicalId = baselineLogicalId(stack, id);
  return aws.cloudFormation.responses.slice(marks.responses).filter(r => r.LogicalResourceId === logicalId);
}

function contactsOf(accountId: string): Record<string, Json> {
  return Object.fromEntries(aws.account(accountId).alternateContacts);
}

/** The calls of `operation` that the service answered with success (the throttled ones were made again). */
function succeeded(operation: string) {
  return aws.callsOf(operation).filter(c => c.status === 200);
}

function writesTo(accountId?: string) {
  return aws.calls.filter(c => WRITES.includes(c.operation) && c.status === 200 && (accountId === undefined || c.target === accountId));
}

/** How long CloudFormation waited for the resource, in the minutes of the time scale. */
function minutesWaited(result: DeployResult, logicalId: string, scale: number): number {
  const at = (status: string) => result.events.find(e => e.logicalId === logicalId && e.status === status)!.at;
  return ((at('CREATE_COMPLETE') - at('CREATE_IN_PROGRESS')) * scale) / 60_000;
}

function useTimeScale(scale: number): void {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
}

function settleAllRegions(): void {
  for (const account of aws.accounts.values()) {
    for (const [regionName, state] of account.regions) {
      if (state.status === 'ENABLING' || state.status === 'DISABLING') aws.accountApi.settleRegion(account.id, regionName);
    }
  }
}

function regionStatuses(accounts: string[], regions: string[]): Array<RegionOptStatus | undefined> {
  return accounts.flatMap(id => regions.map(region => aws.regionStatus(id, region)));
}

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

describe('time: what a deploy waits for, and what goes on after it', () => {
  /** Fast enough that 55 minutes pass in 11 s, a step (5 minutes) in 1 s. */
  const LONG_RUN_SCALE = 300;

  test('a generation still converging at 55 minutes answers the deploy before the hour (ContactsConverged "false") and goes on to converge', async () => {
    useTimeScale(LONG_RUN_SCALE);
    // 30 PutAlternateContact at 2.4 per second (0.008 per second of the scale): about 62 minutes.
    aws.rateQuotas = { ...scaledQuotas(LONG_RUN_SCALE), PutAlternateContact: { rate: 2.4, burst: 1 } };
    const stack = baselineStack({
      organizationalUnitIds: [DEV_OU], alternateContacts: { security: SECURITY, billing: BILLING, operations: OPERATIONS },
    });

    const result = await cfn.deploy(stack);

    expect(answersTo(stack)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    expect(result.status).toBe('CREATE_COMPLETE');
    const minutes = minutesWaited(result, baselineLogicalId(stack), LONG_RUN_SCALE);
    expect(minutes).toBeGreaterThanOrEqual(55);
    expect(minutes).toBeLessThan(60);
    expect(attributesOf(stack).ContactsConverged).toBe('false');
    const execution = executionOf(attributesOf(stack).Generation);
    expect(execution.status).toBe('RUNNING');
    expect(DEV.some(id => Object.keys(contactsOf(id)).length < 3)).toBe(true);

    await aws.stepFunctions.settled();
    expect(execution.status).toBe('SUCCEEDED');
    expect(stateOf(execution)).toMatchObject({ Phase: 'done', Counts: { applied: 10, failed: 0 } });
    for (const id of DEV) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY), BILLING: fields(BILLING), OPERATIONS: fields(OPERATIONS) });
  });

  /** 55 minutes in 11 s, CloudFormation's hour in 12 s; the Regions are polled every 20 s of the scale (67 ms). */
  const REGIONS_SCALE = 300;

  interface LongRegions {
    readonly result: DeployResult;
    readonly minutes: number;
    readonly answered: ReturnType<typeof answersTo>;
    readonly attributes: Record<string, string>;
    readonly whenAnswered: { readonly regions: Array<RegionOptStatus | undefined>; readonly execution: string };
    readonly execution: ExecutionRecord;
    readonly events: ReturnType<typeof eventsSince>;
  }
  let longRegions: LongRegions | undefined;

  /** A deploy that waits for EVERYTHING, whose Region transitions last until the test settles them, long after the hour. */
  async function regionsPastTheHour(): Promise<LongRegions> {
    if (longRegions) return longRegions;
    useTimeScale(REGIONS_SCALE);
    aws.rateQuotas = scaledQuotas(REGIONS_SCALE);
    aws.stepFunctions.waitMs = 20_000 / REGIONS_SCALE;
    aws.regionTransitionMs = Infinity;
    const stack = baselineStack({
      organizationalUnitIds: [TEAM_OU],
      alternateContacts: { security: SECURITY },
      enabledRegions: [OPT_IN_REGIONS[0]],
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
    });
    const result = await cfn.deploy(stack);
    const attributes = attributesOf(stack);
    const execution = executionOf(attributes.Generation);
    const whenAnswered = { regions: regionStatuses(TEAM, [OPT_IN_REGIONS[0]]), execution: execution.status };
    const answered = answersTo(stack);
    settleAllRegions();
    await aws.stepFunctions.settled();
    const minutes = minutesWaited(result, baselineLogicalId(stack), REGIONS_SCALE);
    longRegions = { result, minutes, answered, attributes, whenAnswered, execution, events: eventsSince() };
    return longRegions;
  }

  test('a deploy that waits for Regions is answered before CloudFormation\'s hour, and the execution waits for them as long as they take', async () => {
    const { result, minutes, answered, whenAnswered, execution, events: sent } = await regionsPastTheHour();

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(minutes).toBeGreaterThanOrEqual(55);
    expect(minutes).toBeLessThan(60);
    expect(answered).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    // When CloudFormation had its answer the Regions were still ENABLING, and the execution went on.
    expect(whenAnswered).toEqual({ regions: TEAM.map(() => 'ENABLING'), execution: 'RUNNING' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(stateOf(execution)).toMatchObject({ Phase: 'done', Regions: { inFlight: [], enabled: 5, failed: 0 } });
    expect(regionStatuses(TEAM, [OPT_IN_REGIONS[0]])).toEqual(TEAM.map(() => 'ENABLED'));
    expect(sent).toEqual([expect.objectContaining({ detailType: BASELINE_EVENTS.converged, regions: { enabled: 5, failed: 0, skipped: 0 } })]);
  });

  test('a deploy answered at 55 minutes while only Regions are in progress says its contacts converged', async () => {
    const { attributes } = await regionsPastTheHour();
    expect(attributes.ContactsConverged).toBe('true');
  });

  test('Regions are enabled under the in-progress limits the service tells, and a deploy that waits for everything ends only when they are', async () => {
    aws.accountApi.maxTransitionsPerOrganization = 3;
    aws.accountApi.maxTransitionsPerAccount = 2;
    aws.regionTransitionMs = Infinity;
    const stack = baselineStack({
      organizationalUnitIds: [TEAM_OU],
      alternateContacts: { security: SECURITY },
      enabledRegions: OPT_IN_REGIONS,
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
      reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
    });
    const expected = TEAM.length * OPT_IN_REGIONS.length;
    const accepted = () => aws.callsOf('EnableRegion').filter(c => c.status === 200).length;
    const enabling = (accountId?: string) => aws.transitions
      .filter(t => (accountId === undefined || t.accountId === accountId) && aws.regionStatus(t.accountId, t.regionName) === 'ENABLING');
    /** At each refusal: how many transitions the organization, and the account refused, had in progress. */
    const refusedAt: Array<{ organization: number; account: number }> = [];
    let ended = false;
    const deploying = cfn.deploy(stack).finally(() => {
      ended = true;
    });
    // The transitions last until settled: the oldest in progress ends each time the service refuses one.
    while (!ended && accepted() < expected) {
      const refused = aws.nextCall(c => c.operation === 'EnableRegion' && (c.errorType === 'TooManyRequestsException' || accepted() >= expected));
      await Promise.race([deploying, refused.then(call => {
        if (call.status === 200) return;
        refusedAt.push({ organization: enabling().length, account: enabling(call.target).length });
        const [oldest] = enabling();
        if (oldest) aws.accountApi.settleRegion(oldest.accountId, oldest.regionName);
      })]);
    }

    // Every Region was requested, the last ones are still ENABLING, and CloudFormation still waits.
    expect(ended).toBe(false);
    expect(cfn.stackOf(STACK).resources.get(baselineLogicalId(stack))?.ResourceStatus).toBe('CREATE_IN_PROGRESS');
    expect(regionStatuses(TEAM, OPT_IN_REGIONS)).toContain('ENABLING');
    // A scheduled run meanwhile is skipped: the generation is still converging.
    const started = aws.callsOf('states:StartExecution').length;
    const { functionArn, input } = ruleTarget(stack, 'Reconcile');
    await aws.lambda.invoke(functionArn, input);
    expect(aws.callsOf('states:StartExecution')).toHaveLength(started);

    settleAllRegions();
    const result = await deploying;
    await aws.stepFunctions.settled();

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(attributesOf(stack).ContactsConverged).toBe('true');
    expect(regionStatuses(TEAM, OPT_IN_REGIONS)).toEqual(new Array(expected).fill('ENABLED'));
    // Each Region was requested once (never again while ENABLING), the refusals were waited out, not failed.
    expect(aws.transitions.map(t => `${t.accountId}/${t.regionName}`).sort()).toEqual(TEAM.flatMap(id => OPT_IN_REGIONS.map(r => `${id}/${r}`)).sort());
    // Both limits were met, and never exceeded.
    expect(refusedAt).toContainEqual({ organization: 3, account: expect.any(Number) });
    expect(refusedAt).toContainEqual({ organization: expect.any(Number), account: 2 });
    expect(refusedAt.every(r => r.organization <= 3 && r.account <= 2)).toBe(true);
    const state = stateOf(executionOf(attributesOf(stack).Generation));
    expect(state).toMatchObject({ Phase: 'done', Regions: { inFlight: [], enabled: expected, failed: 0 } });
    expect(state.Regions.limitSeen).toBeLessThanOrEqual(3);
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
