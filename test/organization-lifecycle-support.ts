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
 *
 * What the lifecycle files (organization-lifecycle-*.test.ts) share: the organization, the local services each
 * file starts for itself (useLocalOrganization), the values the baselines declare, and the helpers that read
 * the deployed stack and the services' records.
 */
import { randomUUID } from 'crypto';
import { Stack, Stage } from 'aws-cdk-lib';
import type { GenerationEvent } from '../lambda/organization/events';
import type { ReconcileState } from '../lambda/organization/reconcile';
import { DeployResult, ExecutionRecord, LocalAws, LocalCloudFormation, matches, RegionOptStatus, scaledQuotas } from '../local';
import { addBreaker, BREAKER, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContactDetails, OrganizationBaseline, OrganizationBaselineProps, PrimaryContactDetails } from '../src';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TIME_SCALE = 50;
export const MEMBERS = Array.from({ length: 50 }, (_, i) => String(200000000000 + i));
export const PROD_OU = 'ou-root-prod0001';
export const TEAM_OU = 'ou-root-team0001'; // nested in PROD_OU
export const DEV_OU = 'ou-root-dev00001';
export const PROD = MEMBERS.slice(0, 10);
export const TEAM = MEMBERS.slice(10, 15);
export const DEV = MEMBERS.slice(15, 25);
export const ROOT = MEMBERS.slice(25);
/** Where each member account lives at the start of every test. */
export const PLACEMENT = new Map<string, string>([
  ...PROD.map((id): [string, string] => [id, PROD_OU]),
  ...TEAM.map((id): [string, string] => [id, TEAM_OU]),
  ...DEV.map((id): [string, string] => [id, DEV_OU]),
]);
export const ALL_ACCOUNTS = [MANAGEMENT, ...MEMBERS];
export const STACK = 'Settings';
export const RESOURCE_TYPE = 'Custom::AccountOrganizationBaseline';
export const OPT_IN_REGIONS = ['af-south-1', 'ap-east-1', 'me-south-1'];
export const WRITES = ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName'];

let local: Local;
export let aws: LocalAws;
export let cfn: LocalCloudFormation;
/** What the services held before the test began: each test looks at what came after. */
let marks = { executions: 0, events: 0, responses: 0 };
/** Every line the handlers logged in the file (test 'no contact value…' reads them all). */
export const logLines: string[] = [];
/** The steps in progress: an execution that is stopped ends at once, the step it was running does not. */
const running = new Set<Promise<unknown>>();

/**
 * Starts the local services for the calling file (in its beforeAll, stopped in its afterAll) and gives each of its tests
 * the organization as it was, an empty store and a new LocalCloudFormation: call it once, at the top of the file.
 */
export function useLocalOrganization(): void {
  jest.setTimeout(120_000);

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

}


/** Every value the tests declare (test 'no contact value…' looks for each of them everywhere). */
export const DECLARED = new Set<string>();
export let serial = 0;

export function declared<T extends object>(details: T, except: Array<keyof T> = []): T {
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'string' && !except.includes(key as keyof T)) DECLARED.add(value);
  }
  return details;
}

/** An alternate contact whose every field names `label`. */
export function contact(label: string): AlternateContactDetails {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  return declared({
    name: `${label} Desk`, title: `${label} Lead`, emailAddress: `${slug}.desk@example.com`, phoneNumber: `+1 (206) 555-${1000 + ++serial}`,
  });
}

/** A primary contact whose every field (but the country) names `label`. */
export function primary(label: string): PrimaryContactDetails {
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

export function accountName(name: string): string {
  DECLARED.add(name);
  return name;
}

/** An alternate contact as the Account API holds it. */
export function fields(details: AlternateContactDetails) {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** A primary contact as the Account API holds it. */
export function primaryFields(details: PrimaryContactDetails) {
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

export const SECURITY = contact('Security Operations');
export const BILLING = contact('Accounts Payable');
export const OPERATIONS = contact('Platform On Call');
export const COMPANY = primary('Example Corp');

// --- stacks, resources and rules ---

/** A stack with one OrganizationBaseline ('Baseline'), and optionally a breaker after it or beside it. */
export function baselineStack(props: OrganizationBaselineProps, options: { breaker?: 'after' | 'beside' } = {}): Stack {
  return stackOf(stack => {
    const baseline = new OrganizationBaseline(stack, 'Baseline', props);
    if (options.breaker) addBreaker(stack);
    if (options.breaker === 'after') stack.node.findChild(BREAKER).node.addDependency(baseline);
  });
}

/** The stack's template, as the deploy synthesized it. */
export function templateOf(stack: Stack): { Resources: Record<string, Json> } {
  return Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template;
}

/** The logical id of the baseline `id` of the stack. */
export function baselineLogicalId(stack: Stack, id = 'Baseline'): string {
  const logicalId = Object.keys(templateOf(stack).Resources).find(l => new RegExp(`^${id}[0-9A-F]{8}$`).test(l));
  if (!logicalId) throw new Error(`no ${id} in the template`);
  return logicalId;
}

/** The baseline's properties in the template (BaselineId, Store…). */
export function baselineProperties(stack: Stack, id = 'Baseline'): Record<string, Json> {
  return templateOf(stack).Resources[baselineLogicalId(stack, id)].Properties;
}

/** The attributes CloudFormation holds for the baseline (ExecutionArn, Generation, ContactsConverged). */
export function attributesOf(stack: Stack, id = 'Baseline'): Record<string, string> {
  return cfn.resource(STACK, baselineLogicalId(stack, id))?.attributes ?? {};
}

/** The name of the stack's bucket, where the generations are stored. */
export function bucketOf(stack: Stack): string {
  return resolve(baselineProperties(stack).Store);
}

/** Resolves the intrinsic functions of a rule's target against the deployed stack. */
export function resolve(value: Json): Json {
  if (typeof value === 'string') return value;
  if (value.Ref === 'AWS::StackId') return cfn.stackOf(STACK).stackId;
  if (value.Ref) return cfn.resource(STACK, value.Ref)!.attributes.Ref ?? cfn.resource(STACK, value.Ref)!.physicalId;
  if (value['Fn::GetAtt']) return cfn.resource(STACK, value['Fn::GetAtt'][0])!.attributes[value['Fn::GetAtt'][1]];
  if (value['Fn::Join']) return (value['Fn::Join'][1] as Json[]).map(resolve).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** What a rule of the stack (CreateAccountRule, MoveAccountRule, a baseline's Reconcile) would send its target for `event`. */
export function ruleTarget(stack: Stack, rule: string, event?: Json): { functionArn: string; input: Json } {
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
export async function deliver(stack: Stack, rule: string, event?: Json): Promise<void> {
  const { functionArn, input } = ruleTarget(stack, rule, event);
  await aws.lambda.invoke(functionArn, input);
  await aws.stepFunctions.settled();
}

/** AWS Organizations' CreateAccountResult, as EventBridge delivers it. */
export function createAccountResult(accountId: string): Json {
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
export function moveAccountCall(accountId: string, sourceParentId: string, destinationParentId: string): Json {
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

export function executionsSince(): ExecutionRecord[] {
  return aws.stepFunctions.executions.slice(marks.executions);
}

/** The execution of the generation (or of one account, or a scheduled run, with their suffix). */
export function executionOf(generation: string): ExecutionRecord {
  const execution = executionsSince().find(e => e.name.endsWith(generation));
  if (!execution) throw new Error(`no execution of ${generation}`);
  return execution;
}

/** The state an execution ended with (its output), or began with (its input) while it runs. */
export function stateOf(execution: ExecutionRecord): ReconcileState {
  return JSON.parse(execution.output ?? execution.input);
}

export function eventsSince(): Array<GenerationEvent & { detailType: string }> {
  return aws.eventBus.events.slice(marks.events).map(e => ({ ...JSON.parse(e.Detail), detailType: e.DetailType }));
}

/** The answers to the requests of the stack's baseline (`id`) since the test began. */
export function answersTo(stack: Stack, id = 'Baseline') {
  const logicalId = baselineLogicalId(stack, id);
  return aws.cloudFormation.responses.slice(marks.responses).filter(r => r.LogicalResourceId === logicalId);
}

export function contactsOf(accountId: string): Record<string, Json> {
  return Object.fromEntries(aws.account(accountId).alternateContacts);
}

/** The calls of `operation` that the service answered with success (the throttled ones were made again). */
export function succeeded(operation: string) {
  return aws.callsOf(operation).filter(c => c.status === 200);
}

export function writesTo(accountId?: string) {
  return aws.calls.filter(c => WRITES.includes(c.operation) && c.status === 200 && (accountId === undefined || c.target === accountId));
}

/** How long CloudFormation waited for the resource, in the minutes of the time scale. */
export function minutesWaited(result: DeployResult, logicalId: string, scale: number): number {
  const at = (status: string) => result.events.find(e => e.logicalId === logicalId && e.status === status)!.at;
  return ((at('CREATE_COMPLETE') - at('CREATE_IN_PROGRESS')) * scale) / 60_000;
}

export function useTimeScale(scale: number): void {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
}

export function settleAllRegions(): void {
  for (const account of aws.accounts.values()) {
    for (const [regionName, state] of account.regions) {
      if (state.status === 'ENABLING' || state.status === 'DISABLING') aws.accountApi.settleRegion(account.id, regionName);
    }
  }
}

export function regionStatuses(accounts: string[], regions: string[]): Array<RegionOptStatus | undefined> {
  return accounts.flatMap(id => regions.map(region => aws.regionStatus(id, region)));
}
