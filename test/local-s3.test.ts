/*
 * The local S3's conditional writes, through the SDK as the handlers call it: If-None-Match: * creates
 * only, If-Match writes only over the ETag read, both answered 412 PreconditionFailed as S3 does, with
 * ETags that are the MD5 of the content (so that a write changes them); and a held request waits until
 * the test releases it.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalAws } from '../local';

const BUCKET = 'store';
const KEY = 'baselines/b/applied.json';

let aws: LocalAws;
let s3: S3Client;

beforeAll(async () => {
  aws = await LocalAws.start();
  s3 = new S3Client({ endpoint: aws.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
});

afterAll(async () => {
  s3.destroy();
  await aws.close();
});

beforeEach(() => {
  aws.s3.buckets.clear();
  aws.s3.createBucket(BUCKET);
});

const put = (body: string, conditions: { IfMatch?: string; IfNoneMatch?: string } = {}) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body, ...conditions }));

async function get(): Promise<{ body: string; etag?: string }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
  return { body: await object.Body!.transformToString('utf8'), etag: object.ETag };
}

async function failure(promise: Promise<unknown>): Promise<{ name?: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the request succeeded');
}

test('If-None-Match: * creates the object, and fails with 412 once it exists', async () => {
  await put('{"a":1}', { IfNoneMatch: '*' });
  expect(await failure(put('{"b":2}', { IfNoneMatch: '*' }))).toEqual({ name: 'PreconditionFailed', status: 412 });
  expect((await get()).body).toBe('{"a":1}');
});

test('If-Match writes over the ETag read, and fails with 412 once another write changed the object', async () => {
  const { ETag: etag } = await put('{"a":1}');
  expect((await get()).etag).toBe(etag);

  // Same length, other content: the ETag changes with the content, not with its size.
  const other = await put('{"a":2}', { IfMatch: etag });
  expect(other.ETag).not.toBe(etag);
  expect(await failure(put('{"a":3}', { IfMatch: etag }))).toEqual({ name: 'PreconditionFailed', status: 412 });
  expect((await get()).body).toBe('{"a":2}');

  await put('{"a":3}', { IfMatch: other.ETag });
  expect((await get()).body).toBe('{"a":3}');
});

test('If-Match on a key that is not there is NoSuchKey', async () => {
  expect(await failure(put('{}', { IfMatch: '"0"' }))).toEqual({ name: 'NoSuchKey', status: 404 });
});

test('an unconditional write still wins', async () => {
  await put('{"a":1}');
  await put('{"a":2}');
  expect((await get()).body).toBe('{"a":2}');
});

test('a held write is served when the test releases it, and its conditions are checked then', async () => {
  const { ETag: etag } = await put('{"a":1}');
  const hold = aws.s3.holdNext(request => request.method === 'PUT' && request.key === KEY);
  const late = failure(put('{"late":true}', { IfMatch: etag }));
  await hold.held;
  await put('{"a":2}', { IfMatch: etag });

  expect(await hold.release()).toBe(412);
  expect(await late).toEqual({ name: 'PreconditionFailed', status: 412 });
  expect((await get()).body).toBe('{"a":2}');
});
