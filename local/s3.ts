import { createHash } from 'crypto';
import { ApiError } from './common';
import { BucketPolicies } from './s3-policy';

/*
 * Amazon S3, path-style, the operations the organization baseline's store uses: PutObject, GetObject,
 * DeleteObject(s), ListObjectsV2, over buckets that the local deployment engine creates with their
 * stacks (and refuses to delete while they hold objects, as S3 does). PutObject honours If-Match and
 * If-None-Match: * as S3 does (412 PreconditionFailed; If-Match on a missing key is 404 NoSuchKey), with
 * ETags that are the MD5 of the content (as S3's for a single-part PUT with SSE-S3), so every write that
 * changes an object changes its ETag. A test may hold a request before S3 acts on it (`holdNext`).
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
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const delimiter = url.searchParams.get('delimiter');
      const matching = [...bucket.keys()].filter(k => k.startsWith(prefix)).sort();
      // With a delimiter, keys that have it after the prefix are rolled up into common prefixes.
      const rolledUp = (k: string) => delimiter !== null && k.indexOf(delimiter, prefix.length) >= 0;
      const keys = matching.filter(k => !rolledUp(k));
      const prefixes = [...new Set(matching.filter(rolledUp).map(k => k.slice(0, k.indexOf(delimiter!, prefix.length) + delimiter!.length)))];
      const contents = keys.map(k => `<Contents><Key>${xml(k)}</Key><Size>${bucket.get(k)!.length}</Size></Contents>`).join('');
      const common = prefixes.map(p => `<CommonPrefixes><Prefix>${xml(p)}</Prefix></CommonPrefixes>`).join('');
      return {
        status: 200,
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name>`
          + `<Prefix>${xml(prefix)}</Prefix><KeyCount>${keys.length + prefixes.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}${common}</ListBucketResult>`,
      };
    }
    if (method === 'POST' && url.searchParams.has('delete')) {
      const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map(m => unxml(m[1]));
      keys.forEach(k => bucket.delete(k));
      return {
        status: 200,
        headers: { 'content-type': 'application/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${keys.map(k => `<Deleted><Key>${xml(k)}</Key></Deleted>`).join('')}</DeleteResult>`,
      };
    }
    throw new ApiError(400, 'NotImplemented', `${method} ${url.pathname}${url.search} is not supported locally`);
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

function unxml(value: string): string {
  return value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** An S3 error body. */
export function s3Error(error: ApiError): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.type}</Code><Message>${xml(error.message)}</Message></Error>`;
}
