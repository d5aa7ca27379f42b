import type { Invocation } from './clients';
import { dnsSuffix, endpointOverride, jsonErrorCode, ownRegion, signedCall } from './signed-request';

/*
 * Sends one event to the account's default bus: PutEvents over EventBridge's JSON API, without the
 * EventBridge client, which would add about 28 KiB to each handler that sends one (lambda/shared/signed-request.ts).
 */

export interface Event {
  readonly source: string;
  readonly detailType: string;
  /** ARNs the event is about (EventBridge takes only ARNs here). */
  readonly resources: string[];
  readonly detail: object;
}

/** Sends `event`; throws when EventBridge refuses the call or the entry. */
export async function putEvent(invocation: Invocation, event: Event): Promise<void> {
  const region = ownRegion();
  const url = new URL(endpointOverride('eventbridge') ?? `https://events.${region}.${dnsSuffix(region)}/`);
  const { body } = await signedCall(invocation, {
    service: 'events',
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({
      Entries: [{ Source: event.source, DetailType: event.detailType, Resources: event.resources, Detail: JSON.stringify(event.detail) }],
    }),
  }, jsonErrorCode);
  const answer = JSON.parse(body) as { FailedEntryCount?: number; Entries?: Array<{ ErrorCode?: string; ErrorMessage?: string }> };
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const [entry] = answer.Entries ?? [];
    throw new Error(entry?.ErrorMessage ?? entry?.ErrorCode ?? 'the entry was refused');
  }
}
