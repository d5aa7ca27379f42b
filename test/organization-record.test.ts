/*
 * The reconciler's record of what may have been written (applied.json, which pruneUndeclared deletes
 * from) is exact while runs write it at once: each write is conditional (If-Match the ETag read,
 * If-None-Match: * when creating), and a run whose write another overtook reads, merges and writes
 * again; a superseded generation's finish writes nothing over a newer generation's record, and a
 * rollback puts the record back with what other runs recorded meanwhile. Deployed
 * through the local CloudFormation; the local S3 answers conditional writes as S3 does (412
 * PreconditionFailed), and each writer is held by the test at its write, so that they interleave at
 * precise points rather than by the machine's speed. The new-account rule's events are delivered by
 * hand, with the input the synthesized rule would send.
 */
import { randomUUID } from 'crypto';
import { Stack, Stage } from 'aws-cdk-lib';
import type { Applied } from '../lambda/organization/store';
import { HeldRequest, LocalAws, LocalCloudFormation, S3Request, scaledQuotas } from '../local';
import { addBreaker, BREAKER, captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContactDetails, DeployWaitsFor, OrganizationBaseline } from '../src';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TIME_SCALE = 50;
const STACK = 'Settings';
const MEMBERS = Array.from({ length: 5 }, (_, i) => String(230000000000 + i));
const OU = 'ou-root-recorded';
/** In the OU from the start; N joins it while a superseded generation finishes, M while the deploy's generation lists its targets. */
const [A, B, C, N, M] = MEMBERS;

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  aws = local.aws;
  aws.addOrganizationalUnit(OU);
  aws.stepFunctions.waitMs = 10;
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  for (const id of MEMBERS) aws.moveAccount(id, [A, B, C].includes(id) ? OU : aws.rootId);
  for (const account of aws.accounts.values()) account.alternateContacts.clear();
  aws.s3.buckets.clear();
  cfn = new LocalCloudFormation(aws);
});

afterEach(async () => {
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

afterAll(async () => {
  await stopLocal(local);
});

function details(label: string): AlternateContactDetails {
  return { name: `${label} Desk`, title: `${label} Lead`, emailAddress: `${label.toLowerCase()}@example.com`, phoneNumber: '+1 206-555-0100' };
}

/** The baseline over the OU; with a breaker, a resource that a deploy may break once the baseline is done. */
function stack(label: string, deployWaitsFor: DeployWaitsFor, options: { breaker?: boolean } = {}): Stack {
  return stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', {
      organizationalUnitIds: [OU], alternateContacts: { security: details(label) }, pruneUndeclared: true, coverNewAccounts: true, deployWaitsFor,
    });
    if (options.breaker) {
      addBreaker(s);
      s.node.findChild(BREAKER).node.addDependency(baseline);
    }
  }, { name: STACK });
}

function templateOf(s: Stack): { Resources: Record<string, Json> } {
  return Stage.of(s)!.synth().getStackArtifact(s.artifactId).template;
}

function resolve(value: Json): Json {
  if (typeof value === 'string') return value;
  if (value.Ref) return cfn.resource(STACK, value.Ref)!.attributes.Ref ?? cfn.resource(STACK, value.Ref)!.physicalId;
  if (value['Fn::GetAtt']) return cfn.resource(STACK, value['Fn::GetAtt'][0])!.attributes[value['Fn::GetAtt'][1]];
  if (value['Fn::Join']) return (value['Fn::Join'][1] as Json[]).map(resolve).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** Whether an event matches an EventBridge pattern (lists of values or of `{ exists }`, nested objects). */
function matches(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([key, expected]) => (Array.isArray(expected)
    ? expected.some(e => (typeof e === 'object' && e !== null && 'exists' in e ? (event?.[key] !== undefined) === e.exists : e === event?.[key]))
    : matches(expected, event?.[key])));
}

/** Has the stack's MoveAccount rule start a run for `accountId`, moved into the OU (the function invoked with the rule's input). */
async function moveIntoOu(s: Stack, accountId: string): Promise<void> {
  aws.moveAccount(accountId, OU);
  const event = {
    'id': randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    'source': 'aws.organizations',
    'account': MANAGEMENT,
    'detail': { eventSource: 'organizations.amazonaws.com', eventName: 'MoveAccount', requestParameters: { accountId, sourceParentId: aws.rootId, destinationParentId: OU } },
  };
  const [, rule] = Object.entries(templateOf(s).Resources)
    .find(([logicalId, resource]) => resource.Type === 'AWS::Events::Rule' && /^[A-Za-z0-9]*MoveAccountRule[0-9A-F]{8}$/.test(logicalId))!;
  expect(matches(rule.Properties.EventPattern, event)).toBe(true);
  const target = rule.Properties.Targets[0];
  const pathOf = (path: string) => path.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce((value: Json, key) => value?.[key], event);
  const input = resolve(target.InputTransformer.InputTemplate)
    .replace(/<(\w+)>/g, (_: string, name: string) => JSON.stringify(pathOf(target.InputTransformer.InputPathsMap[name])));
  await aws.lambda.invoke(resolve(target.Arn), JSON.parse(input));
}

const isRecordWrite = (request: S3Request) => request.method === 'PUT' && request.key.endsWith('/applied.json');
const recordIn = (request: S3Request): Applied => JSON.parse(request.body);

/** The record as the store holds it now. */
function storedRecord(): Applied {
  for (const bucket of aws.s3.buckets.values()) {
    for (const [key, body] of bucket) if (key.endsWith('/applied.json')) return JSON.parse(body);
  }
  throw new Error('no record in the store');
}

/** Holds the next write of the record that `match` accepts; resolves with what it writes, once held. */
function holdRecordWrite(match: (record: Applied) => boolean = () => true): HeldRequest {
  return aws.s3.holdNext(request => isRecordWrite(request) && match(recordIn(request)));
}

function holders(): string[] {
  return MEMBERS.filter(id => aws.account(id).alternateContacts.get('SECURITY') !== undefined);
}

function titleIn(accountId: string): string | undefined {
  return (aws.account(accountId).alternateContacts.get('SECURITY') as { Title?: string } | undefined)?.Title;
}

test('a superseded generation, a deploy\'s generation and new-account runs write the record at once: no account is lost, and a later prune finds them', async () => {
  // The first generation, not waited for: its finish is held once it has read the record (its second write).
  let writes = 0;
  const olderFinish = aws.s3.holdNext(request => isRecordWrite(request) && ++writes === 2);
  const older = stack('One', DeployWaitsFor.NOTHING);
  expect((await captureConsole(() => cfn.deploy(older))).result?.status).toBe('CREATE_COMPLETE');
  const olderGeneration = recordIn(await olderFinish.held).generation;

  // A deploy supersedes it while its finish is held (its step, and so its lease, goes on): the newer generation becomes current…
  const current = aws.s3.holdNext(request => request.method === 'PUT' && request.key.endsWith('/current.json'));
  const newer = stack('Two', DeployWaitsFor.CONTACTS);
  templateOf(newer);
  const deploying = captureConsole(() => cfn.deploy(newer));
  const newerGeneration = JSON.parse((await current.held).body).generation;
  expect(await current.release()).toBe(200);
  expect(newerGeneration > olderGeneration).toBe(true);

  // …and N joins the OU: its run (of the newer generation) records N over the record the older one read.
  const byN = holdRecordWrite(record => record.accounts.includes(N));
  await moveIntoOu(newer, N);
  const recordedByN = recordIn(await byN.held);
  expect(recordedByN.generation).toBe(newerGeneration);
  expect(await byN.release()).toBe(200);

  // The older generation's finish, written over the record it read, is refused; it reads again, finds the newer
  // generation's record and writes nothing: the next write is the newer generation's, over N's record as it was.
  const newerRun = holdRecordWrite();
  expect(await olderFinish.release()).toBe(412);
  const byNewer = recordIn(await newerRun.held);
  expect(byNewer.generation).toBe(newerGeneration);
  expect(storedRecord()).toEqual(recordedByN);
  expect(byNewer.accounts).toEqual([A, B, C, N]);

  // The newer generation has listed its targets (N among them, not M): M joins now, and its run records M first.
  const byM = holdRecordWrite(record => record.accounts.includes(M));
  await moveIntoOu(newer, M);
  await byM.held;
  expect(await byM.release()).toBe(200);
  expect(await newerRun.release()).toBe(412);

  expect((await deploying).result?.status).toBe('UPDATE_COMPLETE');
  await aws.stepFunctions.settled();
  expect(storedRecord().accounts).toEqual([A, B, C, N, M]);
  expect(holders()).toEqual(MEMBERS);
  expect(MEMBERS.map(titleIn)).toEqual(MEMBERS.map(() => 'Two Lead'));

  // M, recorded by its own run only, leaves the OU: the next deploy prunes it, and only it.
  aws.moveAccount(M, aws.rootId);
  expect((await captureConsole(() => cfn.deploy(stack('Three', DeployWaitsFor.CONTACTS)))).result?.status).toBe('UPDATE_COMPLETE');
  await aws.stepFunctions.settled();
  expect(holders()).toEqual([A, B, C, N]);
  expect([A, B, C, N].map(titleIn)).toEqual([A, B, C, N].map(() => 'Three Lead'));
  expect(storedRecord().accounts).toEqual([A, B, C, N]);
});

test('a rolled-back deploy puts the record back with the accounts that new-account runs recorded meanwhile, and a later prune finds them', async () => {
  expect((await captureConsole(() => cfn.deploy(stack('One', DeployWaitsFor.CONTACTS, { breaker: true })))).result?.status).toBe('CREATE_COMPLETE');
  await aws.stepFunctions.settled();

  // The deploy's generation has listed its targets (not N) when N joins the OU and its run records N.
  const deployRun = holdRecordWrite();
  const failing = stack('Two', DeployWaitsFor.CONTACTS, { breaker: true });
  templateOf(failing);
  const deploying = captureConsole(() => cfn.deploy(failing, { breakResources: { [BREAKER]: {} } }));
  expect(recordIn(await deployRun.held).accounts).toEqual([A, B, C]);
  const byN = holdRecordWrite(record => record.accounts.includes(N));
  await moveIntoOu(failing, N);
  await byN.held;
  expect(await byN.release()).toBe(200);
  expect(await deployRun.release()).toBe(412);

  // The other resource fails: the rollback restores A, B and C, and the record as it was before the deploy, with N.
  expect((await deploying).result?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  await aws.stepFunctions.settled();
  expect([A, B, C].map(titleIn)).toEqual([A, B, C].map(() => 'One Lead'));
  expect(storedRecord().accounts).toEqual([A, B, C, N]);

  // N leaves the OU: the next deploy prunes it.
  aws.moveAccount(N, aws.rootId);
  expect((await captureConsole(() => cfn.deploy(stack('Three', DeployWaitsFor.CONTACTS, { breaker: true })))).result?.status).toBe('UPDATE_COMPLETE');
  await aws.stepFunctions.settled();
  expect(holders()).toEqual([A, B, C]);
  expect(storedRecord().accounts).toEqual([A, B, C]);
});
