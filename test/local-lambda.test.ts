/*
 * The local Lambda's asynchronous invocations, as strict as AWS where the late-delivery tests depend on
 * it: events are retried after a function error as the function's event-invoke configuration says
 * (MaximumRetryAttempts, a minute then two between attempts), dropped once older than its
 * MaximumEventAgeInSeconds (on Lambda's clock, which a test moves on), held until a test releases them,
 * and delivered again on a test's cue; and each function sees only its own environment variables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LambdaService } from '../local';

const ARN = 'arn:aws:lambda:us-east-1:111111111111:function:stub';

let directory: string;

/** What the stub function was given, in order (it writes each event to a file: it runs outside jest's sandbox). */
function received(): unknown[] {
  const log = path.join(directory, 'received.jsonl');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map(line => JSON.parse(line)) : [];
}
const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;

beforeAll(() => {
  // A minute between attempts is 60 ms here.
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1000';
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-lambda-'));
  fs.writeFileSync(path.join(directory, 'index.js'), `exports.handler = async (event) => {
  require('fs').appendFileSync(${JSON.stringify(path.join(directory, 'received.jsonl'))}, JSON.stringify(event) + '\\n');
  if (event.fail) throw new Error('failed on purpose');
  return 'ok';
};`);
});

afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true });
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

let lambda: LambdaService;

beforeEach(() => {
  fs.rmSync(path.join(directory, 'received.jsonl'), { force: true });
  lambda = new LambdaService();
  lambda.register({ arn: ARN, codeDirectory: directory, handler: 'index.handler', timeoutSeconds: 10 });
});

test('without an event-invoke configuration a failing event is tried three times, then dropped', async () => {
  lambda.invokeAsync(ARN, { fail: true });
  await lambda.settled();

  expect(received()).toHaveLength(3);
  expect(lambda.asyncEvents[0]).toMatchObject({ deliveries: 3, dropped: 'retries exhausted' });
  expect(lambda.asyncConfigOf('stub')).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });
});

test('MaximumRetryAttempts 0: a failing event is tried once', async () => {
  lambda.configureAsync('stub', { maximumRetryAttempts: 0 });
  lambda.invokeAsync(ARN, { fail: true });
  await lambda.settled();

  expect(received()).toHaveLength(1);
  expect(lambda.asyncEvents[0].dropped).toBe('retries exhausted');
});

test('an event held past its maximum age is dropped when released, not delivered', async () => {
  lambda.configureAsync('stub', { maximumEventAgeSeconds: 3600 });
  const held = lambda.holdNextDelivery(() => true);
  lambda.invokeAsync(ARN, { n: 1 });
  const event = await held.held;

  lambda.advanceClock(3601);
  await held.release();

  expect(received()).toEqual([]);
  expect(event).toMatchObject({ deliveries: 0, dropped: 'too old' });
});

test('an event held within its maximum age is delivered when released, once', async () => {
  lambda.configureAsync('stub', { maximumEventAgeSeconds: 3600 });
  const held = lambda.holdNextDelivery(() => true);
  lambda.invokeAsync(ARN, { n: 1 });
  await held.held;
  expect(received()).toEqual([]);

  lambda.advanceClock(3000);
  await held.release();

  expect(received()).toEqual([{ n: 1 }]);
  expect(lambda.asyncEvents[0].deliveries).toBe(1);
});

test('a retry is not made once the event is older than its maximum age', async () => {
  lambda.configureAsync('stub', { maximumEventAgeSeconds: 60 });
  const failed = lambda.failNextDelivery(() => true);
  lambda.invokeAsync(ARN, { n: 1 });
  await failed;
  lambda.advanceClock(61);
  await lambda.settled();

  expect(received()).toEqual([]);
  expect(lambda.asyncEvents[0]).toMatchObject({ deliveries: 1, dropped: 'too old' });
  expect(lambda.invocations.map(i => i.outcome)).toEqual(['threw']);
});

test('an event is delivered again on a test\'s cue, and the function sees the same payload twice', async () => {
  lambda.invokeAsync(ARN, { n: 1 });
  await lambda.settled();

  await lambda.redeliver(lambda.asyncEvents[0]);

  expect(received()).toEqual([{ n: 1 }, { n: 1 }]);
  expect(lambda.asyncEvents).toHaveLength(1);
  expect(lambda.asyncEvents[0].deliveries).toBe(2);
});

test('each function sees its own environment variables over the process\'s, never another function\'s, even while both run', async () => {
  const envDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-lambda-env-'));
  try {
    // Reads the variables after a pause, while the other function's invocation has begun (900 s are 0.9 s here).
    fs.writeFileSync(path.join(envDirectory, 'index.js'), `exports.handler = async () => {
  await new Promise(resolve => setTimeout(resolve, 5));
  return { own: process.env.LOCAL_TEST_OWN ?? null, process: process.env.LOCAL_TEST_PROCESS ?? null };
};`);
    const other = 'arn:aws:lambda:us-east-1:111111111111:function:other';
    lambda.register({ arn: ARN, codeDirectory: envDirectory, handler: 'index.handler', timeoutSeconds: 900, environment: { LOCAL_TEST_OWN: 'stub' } });
    lambda.register({ arn: other, codeDirectory: envDirectory, handler: 'index.handler', timeoutSeconds: 900 });
    process.env.LOCAL_TEST_PROCESS = 'runner';

    const [stub, otherSaw] = await Promise.all([lambda.invoke(ARN, {}), lambda.invoke(other, {})]);

    expect(stub).toEqual({ own: 'stub', process: 'runner' });
    expect(otherSaw).toEqual({ own: null, process: 'runner' });
    expect(process.env.LOCAL_TEST_OWN).toBeUndefined();
  } finally {
    delete process.env.LOCAL_TEST_PROCESS;
    fs.rmSync(envDirectory, { recursive: true, force: true });
  }
});
