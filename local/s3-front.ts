import type * as http from 'http';
import { ApiError, CallRecord } from './common';
import { ObjectStore, s3Error } from './s3';
import { s3Action } from './s3-policy';

/*
 * The local S3's HTTP front: a request that a test holds waits for its release; each request takes its
 * faults, is authorized against the bucket's policy for the principal that signed it, is served by the
 * ObjectStore (which records the tags an object is put with) and recorded as a call.
 */

/** What the front needs of the local services. */
export interface S3Front {
  readonly s3: ObjectStore;
  readonly endpoint: string;
  takeFault(operation: string): void;
  record(call: Omit<CallRecord, 'caller' | 'at'>): void;
  /** The principal an access key is: a function's role (the local Lambda signs with keys of it), or the account's user. */
  principalOf(accessKey: string): string;
}

export function serveS3(front: S3Front, method: string, url: string, raw: string, res: http.ServerResponse, headers: http.IncomingHttpHeaders): void {
  const parsed = new URL(url, front.endpoint);
  // A request that a test holds is served when the test releases it.
  const hold = front.s3.holdOf(method, parsed, raw);
  if (hold) {
    void hold.gate.then(() => hold.answered(serveNow(front, method, parsed, raw, res, headers))).catch(() => {
      res.destroy();
      hold.answered(0);
    });
    return;
  }
  serveNow(front, method, parsed, raw, res, headers);
}

function serveNow(front: S3Front, method: string, parsed: URL, raw: string, res: http.ServerResponse, headers: http.IncomingHttpHeaders): number {
  const operation = `s3:${method} ${parsed.pathname.split('/').length > 2 && parsed.pathname.split('/')[2] ? 'object' : 'bucket'}`;
  try {
    front.takeFault(operation);
    authorize(front, method, parsed, raw, headers);
    const answer = front.s3.serve(method, parsed, raw, headers);
    if (method === 'PUT' && answer.status === 200) front.s3.tagging.set(decodeURIComponent(parsed.pathname).slice(1), String(headers['x-amz-tagging'] ?? ''));
    front.record({ operation, status: answer.status });
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
    return answer.status;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    front.record({ operation, status: error.status, errorType: error.type });
    res.writeHead(error.status, { 'content-type': 'application/xml' }).end(s3Error(error));
    return error.status;
  }
}

/**
 * The bucket policy's explicit denies, for the principal that signed the request. A DeleteObjects with a
 * key denied is refused whole (S3 would delete the others and report that key).
 */
function authorize(front: S3Front, method: string, url: URL, raw: string, headers: http.IncomingHttpHeaders): void {
  const [, bucket, ...rest] = decodeURIComponent(url.pathname).split('/');
  const principalArn = front.principalOf(/Credential=([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1] ?? '');
  const action = s3Action(method, url, rest.join('/'));
  const keys = method === 'POST' && url.searchParams.has('delete') ? [...raw.matchAll(/<Key>([^<]*)<\/Key>/g)].map(m => m[1]) : [rest.join('/') || undefined];
  for (const key of keys) front.s3.policies.authorize({ action, bucket, key, principalArn });
}
