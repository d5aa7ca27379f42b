import type { AwsCredentialIdentityProvider, RetryStrategyV2 } from '@smithy/types';
import { dnsSuffix, endpointOverride, ownRegion, signedCall, SignedCaller } from './signed-request';

/*
 * The awsQuery protocol (CloudFormation, STS): a form-encoded POST of `Action`, `Version` and the
 * operation's parameters, answered in XML. The few fields callers use are read with the small helpers
 * below rather than with the SDK's clients, whose protocol and XML code weighs more than a handler's own.
 */

/** One awsQuery operation. */
export interface QueryCall {
  /** The signing name and endpoint prefix: `cloudformation`, `sts`. */
  readonly service: string;
  /** The API version: `2010-05-15` (CloudFormation), `2011-06-15` (STS). */
  readonly version: string;
  readonly action: string;
  /** The operation's parameters; those undefined are left out. */
  readonly params?: Record<string, string | undefined>;
  /** The Region to call and sign for. @default the function's (AWS_REGION) */
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly retryThrottling?: boolean;
  readonly retryStrategy?: RetryStrategyV2;
  readonly abortSignal?: AbortSignal;
}

/** The service's endpoint in `region`: the override (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), else the Regional one. */
export function queryEndpoint(service: string, region: string): URL {
  return new URL(endpointOverride(service) ?? `https://${service}.${region}.${dnsSuffix(region)}/`);
}

/**
 * Sends the operation (retried as signedCall retries) and returns what its `<ActionResult>` holds; throws
 * the service's error named by its Code, with its Message, as the SDK's clients do.
 */
export async function queryCall(caller: SignedCaller, call: QueryCall, deadline = caller.deadline): Promise<string> {
  const region = call.region ?? ownRegion();
  const params = Object.entries(call.params ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const body = new URLSearchParams([['Action', call.action], ['Version', call.version], ...params]).toString();
  const answer = await signedCall(caller, {
    service: call.service,
    method: 'POST',
    url: queryEndpoint(call.service, region),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    region,
    credentials: call.credentials,
    retryThrottling: call.retryThrottling,
    retryStrategy: call.retryStrategy,
    abortSignal: call.abortSignal,
  }, queryError, deadline);
  return xmlInner(answer.body, `${call.action}Result`);
}

/** The code and message of an awsQuery error answer (`<ErrorResponse><Error><Code>…<Message>…`); undefined when it is not one. */
export function queryError(body: string): { code: string; message?: string } | undefined {
  const error = xmlInner(body, 'Error');
  const code = xmlText(error, 'Code');
  return code ? { code, message: xmlText(error, 'Message') } : undefined;
}

/** What the first element `name` of `xml` holds, as it is written ('' when there is none). */
export function xmlInner(xml: string, name: string): string {
  return new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml)?.[1] ?? '';
}

/** The text of the first element `name` of `xml`, its entities decoded; undefined when there is none. */
export function xmlText(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([^<]*)</${name}>)`).exec(xml);
  return match ? xmlDecode(match[1] ?? '') : undefined;
}

/** The text of element `name` as a time (ISO 8601, as awsQuery writes them); undefined when there is none or it is not one. */
export function xmlDate(xml: string, name: string): Date | undefined {
  const value = xmlText(xml, name);
  const date = value === undefined ? undefined : new Date(value);
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/**
 * What each `<member>` of the first element `name` holds, in order: a list. Members may hold lists of
 * their own (a stack's Parameters, Tags), so the members are told apart by depth, not by the first closing tag.
 */
export function xmlMembers(xml: string, name: string): string[] {
  const list = xmlList(xml, name);
  const members: string[] = [];
  const tags = /<(\/?)member(?:\s[^>]*?)?(\/?)>/g;
  let depth = 0;
  let start = 0;
  for (let tag = tags.exec(list); tag; tag = tags.exec(list)) {
    if (tag[2]) {
      if (depth === 0) members.push('');
    } else if (!tag[1]) {
      if (depth++ === 0) start = tag.index + tag[0].length;
    } else if (--depth === 0) {
      members.push(list.slice(start, tag.index));
    }
  }
  return members;
}

/** What the first element `name` holds up to its matching closing tag (it may contain elements of the same name). */
function xmlList(xml: string, name: string): string {
  const tags = new RegExp(`<(/?)${name}(?:\\s[^>]*?)?(/?)>`, 'g');
  let depth = 0;
  let start = 0;
  for (let tag = tags.exec(xml); tag; tag = tags.exec(xml)) {
    if (tag[2]) {
      if (depth === 0) return '';
    } else if (!tag[1]) {
      if (depth++ === 0) start = tag.index + tag[0].length;
    } else if (--depth === 0) {
      return xml.slice(start, tag.index);
    }
  }
  return '';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: '\'', amp: '&' };

/** XML's five entities and its character references (`&#10;`, `&#xD;`), decoded in one pass (so `&amp;lt;` stays `&lt;`). */
export function xmlDecode(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}
