import { createHash } from 'crypto';
import { ApiError } from './common';
import { BucketPolicies } from './s3-policy';

/*
 * Amazon S3, path-style, the operations the organization baseline's store uses: PutObject, GetObject,
 * DeleteObject(s), ListObjectsV2, over buckets that the local deployment engine creates with their
 * stacks (and refuses to delete while they hold objects, as S3 does). PutObject honours If-Match and
 * If-None-Match: * as S3 does (412 PreconditionFailed; If-Match on a missing key is 404 NoSuchKey), with
 * ETags that are the MD5 of the content (as S3's for a single-part PUT with SSE-S3), so every write that
 * changes an object changes its ETag. Listings are paged (1,000 entries at most, `max-keys`), and
 * DeleteObjects takes 1,000 keys at most and requires Content-MD5 (or a flexible checksum), and every
 * request its x-amz-content-sha256, as in S3. A test may hold a request before S3 acts on it (`holdNext`).
 */
export class ObjectStore {
  /** Objects by bucket, then key. */
  public readonly buckets = new Map<string, Map<string, string>>();
  /** The buckets' policies (their explicit denies are enforced: `LocalAws` authorizes each request). */
  public readonly policies = new BucketPolicies();
  /** Each object's tags (its x-amz-tagging) as last put, by bucket/key. */
  public readonly tagging = new Map<string, string>();
  private holds: Hold[] = [];

  /**
   * Holds the next request that matches before S3 acts on it (a writer that is slow between its read and
   * its write), until the test releases it: a cue to interleave writers at a precise point.
   */
  public holdNext(match: (request: S3Request) => boolean): HeldRequest {
    const hold = { match, held: deferred<S3Request>(), gate: deferred<void>(), answered: deferred<number>() };
    this.holds.push(hold);
    return {
      held: hold.held.promise,
      release: async () => {
        hold.gate.resolve();
        return hold.answered.promise;
      },
    };
  }

  /**
   * The hold a request meets, if any (taken: a hold holds one request): the server waits for `gate`, then
   * serves the request and tells `answered` its status.
   */
  public holdOf(method: string, url: URL, body: string): { gate: Promise<void>; answered: (status: number) => void } | undefined {
    const request = { method, key: decodeURIComponent(url.pathname).split('/').slice(2).join('/'), body };
    const hold = this.holds.find(h => h.match(request));
    if (!hold) return undefined;
    this.holds = this.holds.filter(h => h !== hold);
    hold.held.resolve(request);
    return { gate: hold.gate.promise, answered: hold.answered.resolve };
  }

  public createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  public deleteBucket(name: string): void {
    const bucket = this.buckets.get(name);
    if (bucket && bucket.size > 0) throw new Error(`The bucket you tried to delete is not empty (${name}: ${bucket.size} objects)`);
    this.buckets.delete(name);
  }

  /** Answers one request: its status, headers and body. */
  public serve(
    method: string, url: URL, body: string, headers: RequestHeaders = {},
  ): { status: number; headers?: Record<string, string>; body: string } {
    const [, bucketName, ...rest] = decodeURIComponent(url.pathname).split('/');
    const key = rest.join('/');
    checkPayloadHash(body, headers);
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new ApiError(404, 'NoSuchBucket', `The specified bucket does not exist: ${bucketName}`);
    if (method === 'PUT' && key) {
      checkConditions(bucket.get(key), headers);
      bucket.set(key, body);
      return { status: 200, headers: { etag: etagOf(body) }, body: '' };
    }
    if (method === 'GET' && key) {
      const object = bucket.get(key);
      if (object === undefined) throw new ApiError(404, 'NoSuchKey', 'The specified key does not exist.');
      return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(object)), 'etag': etagOf(object) }, body: object };
    }
    if (method === 'DELETE' && key) {
      bucket.delete(key);
      return { status: 204, body: '' };
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') return listPage(bucketName, bucket, url.searchParams);
    if (method === 'POST' && url.searchParams.has('delete')) {
      checkDigest(body, headers);
      const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map(m => unxml(m[1]));
      if (keys.length > PAGE) throw new ApiError(400, 'MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema (${keys.length} keys: 1000 at most)`);
      keys.forEach(k => bucket.delete(k));
      const quiet = /<Quiet>true<\/Quiet>/.test(body);
      return {
        status: 200,
        headers: { 'content-type': 'application/xml' },
        body: '<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
          + `${quiet ? '' : keys.map(k => `<Deleted><Key>${xml(k)}</Key></Deleted>`).join('')}</DeleteResult>`,
      };
    }
    throw new ApiError(400, 'NotImplemented', `${method} ${url.pathname}${url.search} is not supported locally`);
  }
}

/** Keys (and common prefixes) per ListObjectsV2 page at most, and per DeleteObjects, as in S3. */
const PAGE = 1000;

/**
 * One ListObjectsV2 page: keys and, with a delimiter, the common prefixes they roll up into, in order,
 * `max-keys` of them (1,000 at most), continued after the last one by an opaque continuation token.
 */
function listPage(
  bucketName: string, bucket: Map<string, string>, params: URLSearchParams,
): { status: number; headers: Record<string, string>; body: string } {
  const prefix = params.get('prefix') ?? '';
  const delimiter = params.get('delimiter');
  const maxKeys = params.has('max-keys') ? Number(params.get('max-keys')) : PAGE;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new ApiError(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
  const token = params.get('continuation-token');
  const after = token === null ? undefined : Buffer.from(token, 'base64').toString('utf8');
  if (token !== null && !after) throw new ApiError(400, 'InvalidArgument', 'The continuation token provided is incorrect');
  // With a delimiter, keys that have it after the prefix are rolled up into common prefixes.
  const entries = new Map<string, 'key' | 'prefix'>();
  for (const k of bucket.keys()) {
    if (!k.startsWith(prefix)) continue;
    const at = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0) entries.set(k.slice(0, at + delimiter!.length), 'prefix');
    else entries.set(k, 'key');
  }
  const sorted = [...entries.keys()].filter(k => after === undefined || k > after).sort();
  const page = sorted.slice(0, Math.min(maxKeys, PAGE));
  const truncated = page.length < sorted.length;
  const contents = page.filter(k => entries.get(k) === 'key').map(k => `<Contents><Key>${xml(k)}</Key><Size>${bucket.get(k)!.length}</Size></Contents>`).join('');
  const common = page.filter(k => entries.get(k) === 'prefix').map(p => `<CommonPrefixes><Prefix>${xml(p)}</Prefix></CommonPrefixes>`).join('');
  const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64')}</NextContinuationToken>` : '';
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name>`
      + `<Prefix>${xml(prefix)}</Prefix>${token === null ? '' : `<ContinuationToken>${xml(token)}</ContinuationToken>`}<KeyCount>${page.length}</KeyCount>`
      + `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${common}${next}</ListBucketResult>`,
  };
}

/** The SigV4 payload hash that S3 requires of every signed request, checked against the body unless unsigned. */
function checkPayloadHash(body: string, headers: RequestHeaders): void {
  const hash = headers['x-amz-content-sha256'];
  if (hash === undefined) throw new ApiError(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (String(hash).startsWith('UNSIGNED-PAYLOAD') || String(hash).startsWith('STREAMING-')) return;
  if (String(hash) !== createHash('sha256').update(body).digest('hex')) {
    throw new ApiError(400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.');
  }
}

/**
 * DeleteObjects' integrity header, which S3 requires: Content-MD5 (checked against the body), or one of the
 * x-amz-checksum-* headers of the SDK's flexible checksums (taken as they are).
 */
function checkDigest(body: string, headers: RequestHeaders): void {
  const md5 = headers['content-md5'];
  if (md5 === undefined) {
    if (Object.keys(headers).some(h => h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-type')) return;
    throw new ApiError(400, 'InvalidRequest', 'Missing required header for this request: Content-MD5');
  }
  if (String(md5) !== createHash('md5').update(body).digest('base64')) {
    throw new ApiError(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
}

/** A request as a hold sees it: the key is the object's (empty for a bucket's operations). */
export interface S3Request {
  readonly method: string;
  readonly key: string;
  readonly body: string;
}

/** A request that a test holds before S3 acts on it. */
export interface HeldRequest {
  /** Resolves with the request once one that matches is being held. */
  readonly held: Promise<S3Request>;
  /** Lets S3 act on it; resolves with the status S3 answered. */
  release(): Promise<number>;
}

type RequestHeaders = Record<string, string | string[] | undefined>;

interface Hold {
  readonly match: (request: S3Request) => boolean;
  readonly held: Deferred<S3Request>;
  readonly gate: Deferred<void>;
  readonly answered: Deferred<number>;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

/** An object's ETag: the MD5 of its content, quoted, as S3 gives for a single-part PUT (SSE-S3). */
export function etagOf(content: string): string {
  return `"${createHash('md5').update(content).digest('hex')}"`;
}

/** PutObject's conditions, as S3 checks them: If-None-Match: * (create only) and If-Match (the ETag read). */
function checkConditions(object: string | undefined, headers: RequestHeaders): void {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*') throw new ApiError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented');
  if (ifNoneMatch === '*' && object !== undefined) throw preconditionFailed('If-None-Match');
  if (ifMatch === undefined) return;
  if (object === undefined) throw new ApiError(404, 'NoSuchKey', 'The specified key does not exist.');
  if (String(ifMatch) !== etagOf(object)) throw preconditionFailed('If-Match');
}

function preconditionFailed(condition: string): ApiError {
  return new ApiError(412, 'PreconditionFailed', `At least one of the pre-conditions you specified did not hold (${condition})`);
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

/** XML text as S3's parser reads it: named and numeric character references decoded. */
function unxml(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, name: string) => ENTITIES[name]
    ?? String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1))));
}

/** An S3 error body. */
export function s3Error(error: ApiError): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.type}</Code><Message>${xml(error.message)}</Message></Error>`;
}
