/*
 * The handlers' S3 calls over S3's REST API (lambda/shared/s3.ts) against the local S3, in this process:
 * objects read and written with their ETags and tags, conditional writes refused as S3 refuses them,
 * listings followed page by page, DeleteObjects 1,000 keys a call with its Content-MD5, keys that need
 * escaping, errors named as the SDK names them, and transient errors retried until the caller's deadline.
 * The local S3 is held to what S3 requires of these calls (the payload hash, DeleteObjects' digest and
 * size, paged listings).
 */
import { createHash } from 'crypto';
import { DefaultRateLimiter } from '@smithy/core/retry';
import { Applied, Store } from '../lambda/organization/store';
import { Invocation } from '../lambda/shared/clients';
import { deleteObject, deleteObjects, getObject, listObjects, objectUrl, putObject, S3Page } from '../lambda/shared/s3';
import { SignedCaller, signedCall } from '../lambda/shared/signed-request';
import { emptyBucket, keepUrl, readUrl } from '../lambda/shared/stored-urls';
import { LocalAws } from '../local';

const BUCKET = 'store';
/** Every character class a key may hold that a URL or XML escapes, in one segment. */
const AWKWARD = 'baselines/b/a b+(1)!*\'~&<>"é%25ü.json';

let aws: LocalAws;
let scale: string | undefined;

beforeAll(async () => {
  // Backoff between retries shortened (the retries are counted, never timed); a request's timeout stays a second.
  scale = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '20';
  aws = await LocalAws.start();
  aws.useForSdkClients();
});

afterAll(async () => {
  if (scale === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scale;
  await aws.close();
});

beforeEach(() => {
  aws.s3.buckets.clear();
  aws.s3.createBucket(BUCKET);
  aws.clearCalls();
  aws.clearFaults();
});

const invocation = () => new Invocation({ invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:f', getRemainingTimeInMillis: () => 900_000 });
/** A caller whose deadline has passed: one attempt, no retry. */
const spent = (): SignedCaller => ({ deadline: Date.now(), config: service => invocation().config(service) });
const objects = () => aws.s3.buckets.get(BUCKET)!;

async function failure(promise: Promise<unknown>): Promise<{ name?: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the request succeeded');
}

async function pages(caller: SignedCaller, prefix: string, options?: { delimiter?: string; maxKeys?: number }): Promise<S3Page[]> {
  const all: S3Page[] = [];
  for await (const page of listObjects(caller, BUCKET, prefix, options)) all.push(page);
  return all;
}

test('an object reads back as it was put, with the ETag of the put and its tags; a missing key reads as undefined', async () => {
  const etag = await putObject(invocation(), BUCKET, 'baselines/b/writing/g/e@1', '{"until":1}', { contentType: 'application/json', tagging: 'expiry=lease' });
  expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
  expect(await getObject(invocation(), BUCKET, 'baselines/b/writing/g/e@1')).toEqual({ body: '{"until":1}', etag });
  expect(aws.s3.tagging.get(`${BUCKET}/baselines/b/writing/g/e@1`)).toBe('expiry=lease');

  expect(await getObject(invocation(), BUCKET, 'baselines/b/none.json')).toBeUndefined();
  await deleteObject(invocation(), BUCKET, 'baselines/b/writing/g/e@1');
  expect(objects().size).toBe(0);
  // Deleting what is not there succeeds, as in S3.
  await deleteObject(invocation(), BUCKET, 'baselines/b/writing/g/e@1');
});

test('conditional writes: If-None-Match: * creates only, If-Match writes only over the ETag read; refusals are named as the SDK names them', async () => {
  const key = 'baselines/b/applied.json';
  const first = await putObject(invocation(), BUCKET, key, '{"a":1}', { ifNoneMatch: '*' });
  expect(await failure(putObject(invocation(), BUCKET, key, '{"a":2}', { ifNoneMatch: '*' }))).toEqual({ name: 'PreconditionFailed', status: 412 });

  const second = await putObject(invocation(), BUCKET, key, '{"a":2}', { ifMatch: first });
  expect(second).not.toBe(first);
  expect(await failure(putObject(invocation(), BUCKET, key, '{"a":3}', { ifMatch: first }))).toEqual({ name: 'PreconditionFailed', status: 412 });
  expect((await getObject(invocation(), BUCKET, key))?.body).toBe('{"a":2}');

  // The key was deleted since it was read.
  await deleteObject(invocation(), BUCKET, key);
  expect(await failure(putObject(invocation(), BUCKET, key, '{"a":4}', { ifMatch: second }))).toEqual({ name: 'NoSuchKey', status: 404 });
  // A refused write is the service's answer, not retried.
  expect(aws.callsOf('s3:PUT object').filter(c => c.status >= 400)).toHaveLength(3);
});

test('a concurrent conditional write (409 ConditionalRequestConflict) is named so, not retried by the call, and the store reads and writes again', async () => {
  const key = 'baselines/b/applied.json';
  aws.injectFault({ operation: 's3:PUT object', status: 409, errorType: 'ConditionalRequestConflict', count: 1 });
  expect(await failure(putObject(invocation(), BUCKET, key, '{}', { ifNoneMatch: '*' }))).toEqual({ name: 'ConditionalRequestConflict', status: 409 });
  expect(aws.callsOf('s3:PUT object')).toHaveLength(1);

  const applied = { generation: 'g1', accounts: ['210000000001'], types: ['BILLING'], overrideTypes: {} };
  objects().set(key, JSON.stringify(applied));
  aws.injectFault({ operation: 's3:PUT object', status: 409, errorType: 'ConditionalRequestConflict', count: 1 });
  await new Store(invocation(), BUCKET, 'b').updateApplied(now => ({ ...now!, accounts: [...now!.accounts, '210000000002'] }));
  expect(JSON.parse(objects().get(key)!)).toEqual({ ...applied, accounts: ['210000000001', '210000000002'] });
  expect(aws.callsOf('s3:PUT object').map(c => c.status)).toEqual([409, 409, 200]);
  expect(aws.callsOf('s3:GET object')).toHaveLength(2);
});

test('a key with characters that URLs and XML escape is put, read, listed and deleted under its own name', async () => {
  // Escaped as S3 signs it (RFC 3986), which encodeURIComponent alone is not for !'()*.
  expect(objectUrl(BUCKET, AWKWARD).pathname).toBe(`/${BUCKET}/baselines/b/a%20b%2B%281%29%21%2A%27~%26%3C%3E%22%C3%A9%2525%C3%BC.json`);
  // A URL would resolve these segments away: refused rather than sent to another key.
  expect(() => objectUrl(BUCKET, 'baselines/../current.json')).toThrow(/has a \. or \.\. segment/);
  await putObject(invocation(), BUCKET, AWKWARD, '{}');
  expect([...objects().keys()]).toEqual([AWKWARD]);
  expect(await getObject(invocation(), BUCKET, AWKWARD)).toMatchObject({ body: '{}' });
  expect(await pages(invocation(), 'baselines/')).toEqual([{ keys: [AWKWARD], prefixes: [] }]);
  expect(await pages(invocation(), 'baselines/', { delimiter: '/' })).toEqual([{ keys: [], prefixes: ['baselines/b/'] }]);
  await deleteObjects(invocation(), BUCKET, [AWKWARD, 'baselines/b/other.json']);
  expect(objects().size).toBe(0);
});

test('listings are followed page by page: 2,500 keys in 3 pages of S3\'s 1,000, or in pages of max-keys; common prefixes are paged with them', async () => {
  const keys = Array.from({ length: 2500 }, (_, i) => `baselines/b/priors/g/${String(100000000000 + i)}.json`);
  for (const key of keys) objects().set(key, '{}');
  objects().set('baselines/c/current.json', '{}');

  const listed = await pages(invocation(), 'baselines/b/');
  expect(listed.map(p => p.keys.length)).toEqual([1000, 1000, 500]);
  expect(listed.flatMap(p => p.keys)).toEqual(keys);
  expect(aws.callsOf('s3:GET bucket')).toHaveLength(3);

  const small = await pages(invocation(), 'baselines/b/priors/g/10000000001', { maxKeys: 7 });
  expect(small.map(p => p.keys.length)).toEqual([7, 3]);
  expect(small.flatMap(p => p.keys)).toEqual(keys.slice(10, 20));

  for (const id of ['a', 'd', 'e']) objects().set(`baselines/${id}/current.json`, '{}');
  const rolledUp = await pages(invocation(), 'baselines/', { delimiter: '/', maxKeys: 2 });
  expect(rolledUp.map(p => p.prefixes)).toEqual([['baselines/a/', 'baselines/b/'], ['baselines/c/', 'baselines/d/'], ['baselines/e/']]);
});

test('DeleteObjects deletes 1,000 keys a call, each call with its Content-MD5', async () => {
  const keys = Array.from({ length: 2500 }, (_, i) => `baselines/b/runs/r${i}/run.json`);
  for (const key of keys) objects().set(key, '{}');
  objects().set('baselines/b/current.json', '{}');
  await deleteObjects(invocation(), BUCKET, keys);
  expect([...objects().keys()]).toEqual(['baselines/b/current.json']);
  expect(aws.callsOf('s3:POST bucket').map(c => c.status)).toEqual([200, 200, 200]);
  // Nothing to delete: no call.
  await deleteObjects(invocation(), BUCKET, []);
  expect(aws.callsOf('s3:POST bucket')).toHaveLength(3);
});

test('the local S3 refuses a DeleteObjects as S3 does: without Content-MD5, with one that does not match, with more than 1,000 keys', async () => {
  objects().set('k', '{}');
  const url = objectUrl(BUCKET);
  url.searchParams.set('delete', '');
  const body = (n: number) => `<Delete>${Array.from({ length: n }, () => '<Object><Key>k</Key></Object>').join('')}</Delete>`;
  const post = (headers: Record<string, string>, n = 1) => signedCall(invocation(), { service: 's3', method: 'POST', url, headers, body: body(n) }, b => /<Code>([^<]+)</.exec(b)?.[1]);
  const md5 = (n: number) => createHash('md5').update(body(n)).digest('base64');

  expect(await failure(post({}))).toEqual({ name: 'InvalidRequest', status: 400 });
  expect(await failure(post({ 'content-md5': md5(2) }))).toEqual({ name: 'BadDigest', status: 400 });
  expect(await failure(post({ 'content-md5': md5(1001) }, 1001))).toEqual({ name: 'MalformedXML', status: 400 });
  expect(objects().has('k')).toBe(true);
  await post({ 'content-md5': md5(1) });
  expect(objects().has('k')).toBe(false);
});

test('the local S3 refuses a request without its payload hash, or with one that does not match its body, as S3 does', async () => {
  const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';
  const put = async (headers: Record<string, string>) => {
    const answer = await fetch(objectUrl(BUCKET, 'k'), { method: 'PUT', headers: { authorization, ...headers }, body: '{}' });
    return { status: answer.status, code: /<Code>([^<]+)</.exec(await answer.text())?.[1] };
  };
  expect(await put({})).toEqual({ status: 400, code: 'InvalidRequest' });
  expect(await put({ 'x-amz-content-sha256': createHash('sha256').update('{"a":1}').digest('hex') })).toEqual({ status: 400, code: 'XAmzContentSHA256Mismatch' });
  expect(objects().size).toBe(0);
  expect(await put({ 'x-amz-content-sha256': createHash('sha256').update('{}').digest('hex') })).toEqual({ status: 200, code: undefined });
  expect(objects().get('k')).toBe('{}');
});

test('throttling, 5xx and network errors are retried until they pass; other errors are thrown at once, named by S3\'s code', async () => {
  objects().set('baselines/b/current.json', '{"generation":"g"}');
  aws.injectFault({ operation: 's3:GET object', status: 503, count: 2 });
  aws.injectFault({ operation: 's3:GET object', status: 'reset', count: 1 });
  aws.injectFault({ operation: 's3:GET object', status: 500, count: 1 });
  expect(await getObject(invocation(), BUCKET, 'baselines/b/current.json')).toMatchObject({ body: '{"generation":"g"}' });
  expect(aws.callsOf('s3:GET object').map(c => c.status)).toEqual([503, 503, 0, 500, 200]);

  aws.injectFault({ operation: 's3:POST bucket', status: 503, count: 1 });
  await deleteObjects(invocation(), BUCKET, ['baselines/b/current.json']);
  expect(objects().size).toBe(0);

  aws.injectFault({ operation: 's3:PUT object', status: 403, errorType: 'AccessDenied', count: 1 });
  expect(await failure(putObject(invocation(), BUCKET, 'baselines/b/current.json', '{}'))).toEqual({ name: 'AccessDenied', status: 403 });
  expect(aws.callsOf('s3:PUT object')).toHaveLength(1);

  expect(await failure(getObject(invocation(), 'no-such-bucket', 'k'))).toEqual({ name: 'NoSuchBucket', status: 404 });
});

test('a transient error still there at the deadline is thrown, named as S3 names it', async () => {
  aws.injectFault({ operation: 's3:GET bucket', status: 503, count: 1 });
  expect(await failure(pages(spent(), 'baselines/'))).toEqual({ name: 'ServiceUnavailable', status: 503 });
  expect(aws.callsOf('s3:GET bucket')).toHaveLength(1);
});

describe('the store\'s and the kept URLs\' calls are paced by the environment\'s rate limiter of S3', () => {
  let paced: jest.SpyInstance;
  beforeEach(() => {
    paced = jest.spyOn(DefaultRateLimiter.prototype, 'getSendToken');
  });
  afterEach(() => paced.mockRestore());

  test('the store (lambda/organization/store.ts)', async () => {
    const store = new Store(invocation(), BUCKET, 'b');
    await store.updateApplied((): Applied => ({ generation: 'g', accounts: [], types: [], overrideTypes: {} }));
    expect(await store.priorAccounts('g')).toEqual(new Set());
    await store.removeAll();
    // The read and the write of updateApplied, the listing, and the listing (and delete) of removeAll.
    expect(paced.mock.calls.length).toBeGreaterThanOrEqual(4);
  });

  test('the kept ResponseURLs (lambda/shared/stored-urls.ts)', async () => {
    const at = { bucket: BUCKET, key: 'r' };
    await keepUrl(invocation(), at, 'https://example.com/response');
    expect(await readUrl(invocation(), at)).toBe('https://example.com/response');
    await emptyBucket(invocation(), BUCKET);
    expect(paced.mock.calls.length).toBeGreaterThanOrEqual(4);
  });

  test('a call without a strategy (a caller that paces itself) takes no token of the limiter', async () => {
    await putObject(invocation(), BUCKET, 'k', '{}');
    expect(paced).not.toHaveBeenCalled();
  });
});
