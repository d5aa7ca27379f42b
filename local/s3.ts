import { ApiError } from './common';

/*
 * Amazon S3, path-style, the operations the organization baseline's store uses: PutObject, GetObject,
 * DeleteObject(s), ListObjectsV2, over buckets that the local deployment engine creates with their
 * stacks (and refuses to delete while they hold objects, as S3 does).
 */
export class ObjectStore {
  /** Objects by bucket, then key. */
  public readonly buckets = new Map<string, Map<string, string>>();

  public createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  public deleteBucket(name: string): void {
    const bucket = this.buckets.get(name);
    if (bucket && bucket.size > 0) throw new Error(`The bucket you tried to delete is not empty (${name}: ${bucket.size} objects)`);
    this.buckets.delete(name);
  }

  /** Answers one request: its status, headers and body. */
  public serve(method: string, url: URL, body: string): { status: number; headers?: Record<string, string>; body: string } {
    const [, bucketName, ...rest] = decodeURIComponent(url.pathname).split('/');
    const key = rest.join('/');
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new ApiError(404, 'NoSuchBucket', `The specified bucket does not exist: ${bucketName}`);
    if (method === 'PUT' && key) {
      bucket.set(key, body);
      return { status: 200, headers: { etag: `"${key.length}-${body.length}"` }, body: '' };
    }
    if (method === 'GET' && key) {
      const object = bucket.get(key);
      if (object === undefined) throw new ApiError(404, 'NoSuchKey', 'The specified key does not exist.');
      return { status: 200, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(object)) }, body: object };
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
