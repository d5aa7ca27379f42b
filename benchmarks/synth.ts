/*
 * Synthesis: stacks that declare 10, 100 and 400 account settings, written with this library and with
 * what a user writes by hand today (one AwsCustomResource per setting calling the Account API). Per
 * side and size: synth time, template size, Lambda functions, IAM roles, log groups and state machines,
 * IAM policy statements, the largest IAM policy documents against IAM's limits, and resources against
 * CloudFormation's 500. Then what a stack carries for every kind of setting at once (one of each
 * construct, 7 settings): its functions, roles, log groups and state machines.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, AwsCustomResourcePolicy, AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { memberArn, putAlternateContactCall } from './aws-custom-resource';
import { machine, quick, summarize, Section, table } from './stats';
import { COMPANY, CONTACTS as EXAMPLE_CONTACTS } from '../examples/example-org';
import { AccountBaseline } from '../src/account-baseline';
import { AlternateContact, AlternateContactType } from '../src/alternate-contact';
import { OrganizationBaseline } from '../src/organization-baseline';
import { PrimaryContact } from '../src/primary-contact';
import { renderPrimaryContact } from '../src/private/contacts';
import { RegionOptIn } from '../src/region-opt-in';

const SIZES = quick() ? [10, 400] : [10, 100, 400];
const RUNS = quick() ? 1 : 5;
const MANAGEMENT = '111111111111';
const ENV = { account: MANAGEMENT, region: 'us-east-1' };
/** IAM's limits, in characters without whitespace. */
const ROLE_INLINE_LIMIT = 10_240;
const MANAGED_POLICY_LIMIT = 6_144;
const TEMPLATE_LIMIT = 1_000_000;
const RESOURCE_LIMIT = 500;
/** The CDK's own check of CloudFormation's 500 resources; 0 turns it off. */
const RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';

/** The example organization's contacts (examples/example-org.ts), by the construct's contact type. */
const CONTACTS: Record<AlternateContactType, { name: string; title: string; emailAddress: string; phoneNumber: string }> = {
  [AlternateContactType.BILLING]: EXAMPLE_CONTACTS.billing,
  [AlternateContactType.OPERATIONS]: EXAMPLE_CONTACTS.operations,
  [AlternateContactType.SECURITY]: EXAMPLE_CONTACTS.security,
};

/** One declared setting; both sides declare exactly the same list. */
type Setting =
  | { readonly id: string; readonly accountId: string; readonly kind: 'alternate'; readonly type: AlternateContactType }
  | { readonly id: string; readonly accountId: string; readonly kind: 'primary' };

/** Member accounts 200000000000 + i, each with its three alternate contacts then its primary contact (75% / 25%). */
function settings(n: number): Setting[] {
  const result: Setting[] = [];
  for (let i = 0; result.length < n; i++) {
    const accountId = String(200000000000 + i);
    for (const type of Object.values(AlternateContactType)) {
      if (result.length < n) result.push({ id: `A${accountId}${type}`, accountId, kind: 'alternate', type });
    }
    if (result.length < n) result.push({ id: `A${accountId}Primary`, accountId, kind: 'primary' });
  }
  return result;
}

function declareWithLibrary(stack: Stack, list: Setting[]): void {
  for (const s of list) {
    if (s.kind === 'alternate') {
      new AlternateContact(stack, s.id, { accountId: s.accountId, type: s.type, ...CONTACTS[s.type] });
    } else {
      new PrimaryContact(stack, s.id, { accountId: s.accountId, ...COMPANY });
    }
  }
}


/**
 * What a user writes by hand: one AwsCustomResource per setting. By default each has its own policy
 * (`fromSdkCalls` on the member account's ARN), which the CDK attaches to the shared singleton role.
 */
function declareWithAwsCustomResource(stack: Stack, list: Setting[], role?: iam.IRole): void {
  for (const s of list) {
    const access = role ? { role } : { policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [memberArn(s.accountId)] }) };
    if (s.kind === 'alternate') {
      const put = putAlternateContactCall(s.accountId, s.type, CONTACTS[s.type]);
      new AwsCustomResource(stack, s.id, {
        onCreate: put,
        onUpdate: put,
        onDelete: { service: 'Account', action: 'DeleteAlternateContact', parameters: { AccountId: s.accountId, AlternateContactType: s.type } },
        ...access,
      });
    } else {
      const put = {
        service: 'Account',
        action: 'PutContactInformation',
        parameters: {
          AccountId: s.accountId,
          ContactInformation: primaryParameters(),
        },
        physicalResourceId: PhysicalResourceId.of(`${s.accountId}/primary-contact`),
      };
      new AwsCustomResource(stack, s.id, { onCreate: put, onUpdate: put, ...access });
    }
  }
}

/**
 * The same, written by someone who knows IAM's limits: one role passed to every AwsCustomResource
 * (so no per-resource policy), with one managed policy listing every member account.
 */
function declareWithAwsCustomResourceSharedRole(stack: Stack, list: Setting[]): void {
  const role = new iam.Role(stack, 'AccountSettingsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
  const accounts = [...new Set(list.map(s => s.accountId))];
  new iam.ManagedPolicy(stack, 'AccountSettingsPolicy', {
    roles: [role],
    statements: [new iam.PolicyStatement({
      actions: ['account:PutAlternateContact', 'account:DeleteAlternateContact', 'account:PutContactInformation'],
      resources: accounts.map(memberArn),
    })],
  });
  declareWithAwsCustomResource(stack, list, role);
}

interface Side {
  readonly name: string;
  readonly declare: (stack: Stack, list: Setting[]) => void;
}

const SIDES: Side[] = [
  { name: 'cdk-account-management', declare: declareWithLibrary },
  { name: 'AwsCustomResource, a policy each', declare: (stack, list) => declareWithAwsCustomResource(stack, list) },
  { name: 'AwsCustomResource, one shared role', declare: declareWithAwsCustomResourceSharedRole },
];

interface Synthesized {
  readonly template: any;
  /** Declaring the constructs, ms. */
  readonly constructMs: number;
  /** `app.synth()`, ms. */
  readonly synthMs: number;
  /** The template file the CDK wrote (indented), bytes. */
  readonly fileBytes: number;
}

/** A fresh App in a fresh output directory, removed afterwards. */
function synthesize(side: Side, list: Setting[], context: Record<string, unknown> = {}): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    const started = process.hrtime.bigint();
    const app = new App({ outdir, context });
    const stack = new Stack(app, 'Settings', { env: ENV });
    side.declare(stack, list);
    const declared = process.hrtime.bigint();
    const assembly = app.synth();
    const done = process.hrtime.bigint();
    const artifact = assembly.getStackByName(stack.stackName);
    return {
      template: artifact.template,
      fileBytes: fs.statSync(artifact.templateFullPath).size,
      constructMs: Number(declared - started) / 1e6,
      synthMs: Number(done - declared) / 1e6,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * A policy document as IAM would store it: intrinsic functions replaced by realistic values (the
 * partition, the stack's id, a function's ARN), without whitespace, as IAM counts characters.
 */
function policyChars(document: unknown): number {
  const resolve = (value: any): any => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    if ('Ref' in value) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::AccountId': MANAGEMENT,
        'AWS::Region': ENV.region,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackId': `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stack/Settings/00000000-0000-0000-0000-000000000000`,
      };
      return pseudo[value.Ref] ?? `Settings-${value.Ref}-ABCDEFGHIJKL`;
    }
    if ('Fn::GetAtt' in value) {
      return `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:Settings-${value['Fn::GetAtt'][0]}-ABCDEFGHIJKL`;
    }
    if ('Fn::Join' in value) {
      const [separator, parts] = value['Fn::Join'];
      return resolve(parts).join(separator);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };
  return JSON.stringify(resolve(document)).replace(/\s/g, '').length;
}

interface Figures {
  readonly resources: number;
  readonly functions: number;
  readonly roles: number;
  readonly logGroups: number;
  readonly stateMachines: number;
  readonly statements: number;
  readonly templateBytes: number;
  /** The largest managed policy, characters. */
  readonly largestManaged: number;
  /** The largest inline policy (AWS::IAM::Policy or a role's own), characters. */
  readonly largestInline: number;
  /** The largest sum of the inline policies of one role: IAM's 10,240 applies to that sum. */
  readonly largestRoleInline: number;
}

function figuresOf(template: any): Figures {
  const resources: Record<string, any> = template.Resources ?? {};
  const statementsOf = (document: any) => {
    const statement = document?.Statement ?? [];
    return Array.isArray(statement) ? statement.length : 1;
  };
  const count = (type: string) => Object.values(resources).filter(r => r.Type === type).length;
  let statements = 0;
  let largestManaged = 0;
  let largestInline = 0;
  const inlineByRole = new Map<string, number>();
  const addToRole = (role: string, chars: number) => inlineByRole.set(role, (inlineByRole.get(role) ?? 0) + chars);
  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      statements += statementsOf(props.PolicyDocument);
      largestManaged = Math.max(largestManaged, policyChars(props.PolicyDocument));
    } else if (resource.Type === 'AWS::IAM::Policy') {
      statements += statementsOf(props.PolicyDocument);
      const chars = policyChars(props.PolicyDocument);
      largestInline = Math.max(largestInline, chars);
      for (const role of props.Roles ?? []) addToRole(JSON.stringify(role), chars);
    } else if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of props.Policies ?? []) {
        statements += statementsOf(policy.PolicyDocument);
        const chars = policyChars(policy.PolicyDocument);
        largestInline = Math.max(largestInline, chars);
        addToRole(JSON.stringify({ Ref: logicalId }), chars);
      }
    }
  }
  return {
    resources: Object.keys(resources).length,
    functions: count('AWS::Lambda::Function'),
    roles: count('AWS::IAM::Role'),
    logGroups: count('AWS::Logs::LogGroup'),
    stateMachines: count('AWS::StepFunctions::StateMachine'),
    statements,
    templateBytes: Buffer.byteLength(JSON.stringify(template)),
    largestManaged,
    largestInline,
    largestRoleInline: Math.max(0, ...inlineByRole.values()),
  };
}

/** A figure, flagged when it is over the limit. */
function against(value: number, limit: number): string {
  const text = value.toLocaleString('en-US');
  return value > limit ? `**${text}: over ${limit.toLocaleString('en-US')}**` : text;
}

// --- what a stack carries ---

/** The accounts of the one-of-each stack: one per construct, so that no setting is declared twice. */
const ONE_OF_EACH = { contact: '200000000001', primary: '200000000002', regions: '200000000003', baseline: '200000000004' };
const SOME_OU = 'ou-ab12-cd34ef56';
/** The target for a stack that declares every kind of setting. */
const MAX_FUNCTIONS = 6;
const MAX_STATE_MACHINES = 2;

/**
 * One of each construct, 7 settings: an AlternateContact, a PrimaryContact, two RegionOptIn (one with
 * its own pollInterval), an AccountBaseline (an alternate contact and the account name) and an
 * OrganizationBaseline (an alternate contact for an OU's accounts).
 */
function declareOneOfEach(stack: Stack): void {
  new AlternateContact(stack, 'SecurityContact', { accountId: ONE_OF_EACH.contact, type: AlternateContactType.SECURITY, ...CONTACTS.SECURITY });
  new PrimaryContact(stack, 'PrimaryContact', { accountId: ONE_OF_EACH.primary, ...COMPANY });
  new RegionOptIn(stack, 'CapeTown', { accountId: ONE_OF_EACH.regions, regionName: 'af-south-1' });
  new RegionOptIn(stack, 'HongKong', { accountId: ONE_OF_EACH.regions, regionName: 'ap-east-1', pollInterval: Duration.minutes(1) });
  new AccountBaseline(stack, 'AccountBaseline', {
    accountId: ONE_OF_EACH.baseline,
    alternateContacts: { billing: CONTACTS.BILLING },
    accountName: 'workload-production',
  });
  new OrganizationBaseline(stack, 'OrganizationBaseline', { organizationalUnitIds: [SOME_OU], alternateContacts: { operations: CONTACTS.OPERATIONS } });
}

/**
 * The same 7 settings as one AwsCustomResource each (its own policy, `fromSdkCalls`): one call each, on
 * create and update. What they cannot do is not counted: wait for a Region's transition, or cover the
 * accounts of an OU (the organization's setting is one call to one account here).
 */
function declareOneOfEachWithAwsCustomResource(stack: Stack): void {
  const calls: Array<[string, string, string, Record<string, unknown>]> = [
    ['SecurityContact', ONE_OF_EACH.contact, 'PutAlternateContact', alternateParameters(AlternateContactType.SECURITY)],
    ['PrimaryContact', ONE_OF_EACH.primary, 'PutContactInformation', { ContactInformation: primaryParameters() }],
    ['CapeTown', ONE_OF_EACH.regions, 'EnableRegion', { RegionName: 'af-south-1' }],
    ['HongKong', ONE_OF_EACH.regions, 'EnableRegion', { RegionName: 'ap-east-1' }],
    ['BaselineBilling', ONE_OF_EACH.baseline, 'PutAlternateContact', alternateParameters(AlternateContactType.BILLING)],
    ['BaselineName', ONE_OF_EACH.baseline, 'PutAccountName', { AccountName: 'workload-production' }],
    ['OrganizationOperations', '200000000005', 'PutAlternateContact', alternateParameters(AlternateContactType.OPERATIONS)],
  ];
  for (const [id, accountId, action, parameters] of calls) {
    const call: AwsSdkCall = {
      service: 'Account',
      action,
      parameters: { AccountId: accountId, ...parameters },
      physicalResourceId: PhysicalResourceId.of(`${accountId}/${id}`),
    };
    const policy = AwsCustomResourcePolicy.fromSdkCalls({ resources: [memberArn(accountId)] });
    new AwsCustomResource(stack, id, { onCreate: call, onUpdate: call, policy });
  }
}

function alternateParameters(type: AlternateContactType): Record<string, string> {
  const c = CONTACTS[type];
  return { AlternateContactType: type, Name: c.name, Title: c.title, EmailAddress: c.emailAddress, PhoneNumber: c.phoneNumber };
}

function primaryParameters(): Record<string, string | undefined> {
  return { ...renderPrimaryContact(COMPANY) };
}

/** The stack's Lambda functions by what they are for: their descriptions (or handlers), counted. */
function functionsOf(template: any): string {
  const counts = new Map<string, number>();
  for (const resource of Object.values<any>(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const p = resource.Properties ?? {};
    const name = typeof p.Description === 'string' ? p.Description.replace(/^cdk-account-management: /, '') : `aws-cdk-lib's singleton (${p.Handler})`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, count]) => (count > 1 ? `${count} × ${name}` : name)).join('; ');
}

/** "What a stack carries": one of each construct, next to one AwsCustomResource per setting. */
function stackCarries(): { rows: Array<Array<string | number>>; verdict: string } {
  const sides: Array<{ name: string; declare: (stack: Stack) => void }> = [
    { name: 'cdk-account-management, one of each construct', declare: declareOneOfEach },
    { name: 'AwsCustomResource, one per setting (a policy each)', declare: declareOneOfEachWithAwsCustomResource },
  ];
  let verdict = '';
  const rows = sides.map((side, i) => {
    const synthesized = synthesize({ name: side.name, declare: stack => side.declare(stack) }, []);
    const f = figuresOf(synthesized.template);
    if (i === 0) {
      const within = f.functions <= MAX_FUNCTIONS && f.stateMachines <= MAX_STATE_MACHINES;
      verdict = `${f.functions} functions and ${f.stateMachines} state machine${f.stateMachines === 1 ? '' : 's'} `
        + `(${within ? 'within' : '**over**'} the target of at most ${MAX_FUNCTIONS} and ${MAX_STATE_MACHINES})`;
    }
    return [
      side.name,
      f.functions,
      f.roles,
      f.logGroups,
      f.stateMachines,
      f.resources,
      `${f.templateBytes.toLocaleString('en-US')} (file ${synthesized.fileBytes.toLocaleString('en-US')})`,
      f.statements,
      functionsOf(synthesized.template) || '—',
    ];
  });
  return { rows, verdict };
}

export async function synthBenchmark(): Promise<Section> {
  const rows: Array<Array<string | number>> = [];
  // Warm-up: loads aws-cdk-lib's modules, fingerprints the Lambda assets once (the CDK caches asset
  // hashes per process) and lets V8 compile the hot paths; not counted.
  for (const side of SIDES) synthesize(side, settings(10));
  const loadBefore = os.loadavg()[0];
  for (const n of SIZES) {
    const list = settings(n);
    const alternates = list.filter(s => s.kind === 'alternate').length;
    // A stack over CloudFormation's 500 resources fails `app.synth()`: say so, then measure it with the
    // CDK's check off to show what it would have cost.
    const outcomes = SIDES.map(side => {
      try {
        synthesize(side, list);
        return { outcome: 'synthesizes', context: {} };
      } catch (error) {
        const message = (error as Error).message.replace(/(maximum of \d+):.*$/, '$1');
        return { outcome: `**\`app.synth()\` throws:** ${message}; figures with the check off`, context: { [RESOURCE_LIMIT_CONTEXT]: 0 } };
      }
    });
    // The sides take turns within each run, so that whatever else the machine does weighs on all of them.
    const runs: Synthesized[][] = SIDES.map(() => []);
    for (let run = 0; run < RUNS; run++) {
      SIDES.forEach((side, i) => runs[i].push(synthesize(side, list, outcomes[i].context)));
    }
    SIDES.forEach((side, i) => {
      const f = figuresOf(runs[i][0].template);
      rows.push([
        `${n} (${alternates} + ${n - alternates})`,
        side.name,
        summarize(runs[i].map(r => r.constructMs)),
        summarize(runs[i].map(r => r.synthMs)),
        `${against(f.templateBytes, TEMPLATE_LIMIT)} (file ${runs[i][0].fileBytes.toLocaleString('en-US')})`,
        `${f.functions} / ${f.roles} / ${f.logGroups} / ${f.stateMachines}`,
        f.statements,
        f.largestManaged ? against(f.largestManaged, MANAGED_POLICY_LIMIT) : '—',
        f.largestInline ? f.largestInline.toLocaleString('en-US') : '—',
        f.largestRoleInline ? against(f.largestRoleInline, ROLE_INLINE_LIMIT) : '—',
        against(f.resources, RESOURCE_LIMIT),
        outcomes[i].outcome,
      ]);
    });
  }
  const carries = stackCarries();
  return {
    title: 'Synthesis: this library against AwsCustomResource',
    method: `One stack (env ${MANAGEMENT}/us-east-1, organizations mode) declares N settings: for member accounts 200000000000 + i, `
      + 'the BILLING, OPERATIONS and SECURITY alternate contacts and the primary contact (75% / 25%; "settings" shows alternate + primary), '
      + 'the same values on every side. By hand, one `AwsCustomResource` per setting (PutAlternateContact or PutContactInformation on '
      + 'create and update, DeleteAlternateContact on delete), either with its own policy (`AwsCustomResourcePolicy.fromSdkCalls` on the '
      + 'member account\'s ARN `arn:aws:account::*:account/o-*/<id>`, the documented way) or all with one `role` that has one managed '
      + 'policy listing every member account (written by someone who knows IAM\'s limits). Every side uses the CDK\'s default feature '
      + `flags (no cdk.json). On ${machine(loadBefore)}: one warm-up synth of 10 settings per side first (not counted), then per side and N ${RUNS} run${RUNS === 1 ? '' : 's'}, `
      + 'the sides taking turns within each run, each a fresh `App` in a fresh output directory (assets staged, template written); median (min-max) in ms. "declare" is constructing the '
      + 'constructs, "synth" is `app.synth()`. Template: bytes of `JSON.stringify(template)`, and of the indented file the CDK writes '
      + `(CloudFormation accepts ${TEMPLATE_LIMIT.toLocaleString('en-US')} from S3). Statements: \`Statement\` entries of AWS::IAM::Policy, `
      + 'AWS::IAM::ManagedPolicy and roles\' inline `Policies`. Functions, roles, log groups and state machines: the template\'s '
      + 'AWS::Lambda::Function, AWS::IAM::Role, AWS::Logs::LogGroup and AWS::StepFunctions::StateMachine resources (AwsCustomResource\'s '
      + 'function declares no log group: Lambda creates /aws/lambda/<name> on first use, kept without expiry). Policy sizes: characters of the document without whitespace, '
      + 'intrinsic functions replaced by realistic values; IAM allows 6,144 per managed policy and 10,240 for all the inline policies '
      + `of one role together (every AWS::IAM::Policy attached to the role counts). CloudFormation allows ${RESOURCE_LIMIT} resources per stack. `
      + 'Bold: over a limit, so the deploy would fail.\n\n'
      + '**What a stack carries** (the second table): one stack that declares one of each construct, 7 settings: an AlternateContact, a '
      + 'PrimaryContact, two RegionOptIn (one with its own `pollInterval`), an AccountBaseline (an alternate contact and the account '
      + 'name) and an OrganizationBaseline (an alternate contact for the accounts of an OU), each for an account of its own; next to the '
      + 'same 7 settings as one AwsCustomResource each (its own policy; one call each: it cannot wait for a Region\'s transition, nor '
      + 'cover an OU\'s accounts, so the organization\'s setting is one call to one account there). Counted as above; "functions" lists '
      + `them by their description. The issue's target: at most ${MAX_FUNCTIONS} functions and ${MAX_STATE_MACHINES} state machines; `
      + `this library: ${carries.verdict}.`,
    body: [table([
      'settings',
      'written with',
      'declare (ms)',
      'synth (ms)',
      'template (bytes)',
      'Lambda functions / IAM roles / log groups / state machines',
      'IAM statements',
      'largest managed policy (chars)',
      'largest inline policy (chars)',
      'inline policies of one role (chars)',
      'resources',
      'outcome',
    ], rows),
    '',
    'What a stack carries: one of each construct (7 settings):',
    '',
    table(['written with', 'Lambda functions', 'IAM roles', 'log groups', 'state machines', 'resources', 'template (bytes)', 'IAM statements', 'functions'],
      carries.rows)].join('\n'),
  };
}
