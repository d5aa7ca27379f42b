import { randomUUID } from 'crypto';
import { timeScale } from './common';
import type { EventBus } from './eventbridge';

/*
 * A CloudTrail trail of the management account, as far as EventBridge sees it: each Account Management
 * write that account makes (its functions' and its users'), refused ones included, reaches the default bus
 * as an "AWS API Call via CloudTrail" event, after a delay. Off unless a test turns it on: without a trail
 * logging management events, AWS sends none. Calls made from other accounts are in their own trails, which
 * this bus never sees. Kinder than AWS: each record arrives once, in order, after exactly `delayMs`; AWS
 * delivers them on a best-effort basis, usually within minutes, and may lose one.
 */

/** The Account Management operations that CloudTrail records as writes (readOnly: false). */
const WRITES = ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName', 'EnableRegion', 'DisableRegion'];

/** One call, as the local Account API served it. */
export interface TrailedCall {
  readonly operation: string;
  /** The calling account. */
  readonly caller: string;
  /** The role whose credentials signed it (a function's or an assumed role's), if any. */
  readonly role?: string;
  /** The role session's name, for a session that AssumeRole issued (a function's session is named after its role). */
  readonly sessionName?: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
  readonly errorType?: string;
  readonly errorMessage?: string;
}

/** An "AWS API Call via CloudTrail" event, as EventBridge delivers it. */
export type CloudTrailEvent = Record<string, unknown> & { readonly detail: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

export class LocalCloudTrail {
  /** Whether the trail logs (and so whether the events reach the bus). */
  public logging = false;
  /** How long after a call its event reaches the bus, in simulated milliseconds (divided by the time scale). */
  public delayMs = 0;
  /** The ARN the records give a caller that is not a function's role (a person, a script). */
  public userArn?: string;
  /** Every event that reached the bus, with the time (the services' clock) it did. */
  public readonly delivered: Array<{ readonly event: CloudTrailEvent; readonly at: number }> = [];
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly bus: EventBus, private readonly accountId: () => string, private readonly clock: () => number) {}

  /** Records the call if the trail logs it: a write, made by the trail's account. */
  public record(call: TrailedCall): void {
    if (!this.logging || !WRITES.includes(call.operation) || call.caller !== this.accountId()) return;
    const event = this.eventOf(call);
    let timer: NodeJS.Timeout;
    const deliver = () => {
      this.pending.delete(timer);
      this.delivered.push({ event, at: this.clock() });
      this.bus.put(event);
    };
    timer = setTimeout(deliver, this.delayMs / timeScale());
    this.pending.set(timer, deliver);
  }

  /** Delivers every event still under way now. */
  public flush(): void {
    for (const [timer, deliver] of [...this.pending]) {
      clearTimeout(timer);
      deliver();
    }
  }

  /** Drops the events still under way (the services are closing). */
  public stop(): void {
    for (const timer of this.pending.keys()) clearTimeout(timer);
    this.pending.clear();
  }

  /** Resolves once no event is under way. */
  public async settled(): Promise<void> {
    while (this.pending.size > 0) await new Promise(resolve => setTimeout(resolve, 5));
  }

  private eventOf(call: TrailedCall): CloudTrailEvent {
    const time = new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const roleName = call.role?.split('/').pop();
    const sessionName = call.sessionName ?? roleName;
    const userIdentity = call.role
      ? {
        type: 'AssumedRole',
        principalId: `AROALOCAL:${sessionName}`,
        arn: `arn:aws:sts::${call.caller}:assumed-role/${roleName}/${sessionName}`,
        accountId: call.caller,
        sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROALOCAL', arn: call.role, accountId: call.caller, userName: roleName } },
      }
      : { type: 'IAMUser', principalId: 'AIDALOCAL', arn: this.userArn ?? `arn:aws:iam::${call.caller}:user/local`, accountId: call.caller, userName: 'local' };
    const body = call.body;
    // As the reference's records show them: the contact's name, e-mail and title in plain text, not its phone.
    const requestParameters = Object.fromEntries(Object.entries({
      accountId: body.AccountId,
      alternateContactType: body.AlternateContactType,
      name: body.Name,
      emailAddress: body.EmailAddress,
      title: body.Title,
      accountName: body.AccountName,
      regionName: body.RegionName,
      contactInformation: body.ContactInformation === undefined ? undefined : 'HIDDEN_DUE_TO_SECURITY_REASONS',
    }).filter(([, value]) => value !== undefined));
    const failed = call.status >= 400;
    return {
      'version': '0',
      'id': randomUUID(),
      'detail-type': 'AWS API Call via CloudTrail',
      'source': 'aws.account',
      'account': call.caller,
      time,
      'region': 'us-east-1',
      'resources': [],
      'detail': {
        eventVersion: '1.08',
        userIdentity,
        eventTime: time,
        eventSource: 'account.amazonaws.com',
        eventName: call.operation,
        awsRegion: 'us-east-1',
        sourceIPAddress: '127.0.0.1',
        userAgent: 'local',
        ...(failed ? { errorCode: call.errorType, errorMessage: call.errorMessage } : {}),
        requestParameters,
        responseElements: null,
        requestID: randomUUID(),
        eventID: randomUUID(),
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: call.caller,
        eventCategory: 'Management',
      },
    };
  }
}
