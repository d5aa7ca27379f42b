import { allowsPutEvents, BusContext, checkBusStatement, SentEvent } from './event-bus-policy';
import type { PolicyStatement } from './iam';

/*
 * Amazon EventBridge's default bus of one account, locally: PutEvents (awsJson1_1), recording what the handlers send,
 * and the rules the local deployment engine registers, whose targets get each matching event (from
 * PutEvents or from a local service, such as Step Functions' status changes) by an asynchronous
 * invocation. Patterns match literal values, `prefix`, `anything-but`, `exists` and `$or`, which is what this
 * library's rules use; an InputTransformer's paths are dot paths (`$`, `$.detail.x`), filled in as AWS does (see `transformed`).
 * A target that is another account's bus gets the event unchanged, if that bus's resource policy allows
 * the sending account (see event-bus-policy.ts); a refused event is dropped and recorded in `refused`; an
 * event received from another account goes no further than this bus's other targets.
 */

/** A target ARN that is an event bus: its account and name. */
const EVENT_BUS_ARN = /^arn:aws:events:[a-z0-9-]+:(\d{12}):event-bus\/([\w.\-/]+)$/;
export interface PutEvent {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Resources?: string[];
}

/** A rule's target, as the template declares it. */
export interface RuleTarget {
  readonly Arn: string;
  readonly Id?: string;
  /** The role EventBridge uses to send to the target (another account's bus). */
  readonly RoleArn?: string;
  /** A constant input (JSON) instead of the event. */
  readonly Input?: string;
  readonly InputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
}

/** An event as rules see it. */
export type BusEvent = object;

export class EventBus {
  /** The account whose bus this is. */
  public accountId = '';
  /** Events another account's rule sent here that the resource policy refused (AWS counts them as failed invocations). */
  public readonly refused: Array<{ readonly sender: string; readonly event: BusEvent }> = [];
  public readonly events: PutEvent[] = [];
  /** Every event a rule delivered to a target, in order. */
  public readonly deliveries: Array<{ readonly rule: string; readonly target: string; readonly event: BusEvent }> = [];
  private readonly rules = new Map<string, { pattern: Record<string, unknown>; targets: RuleTarget[] }>();
  /** The resource policy's statements, by StatementId. */
  private readonly policy = new Map<string, PolicyStatement>();
  /** The default bus of another account, for targets that are event buses. */
  public busOf: (accountId: string) => EventBus = noBus;
  /** How a target gets an event (the local Lambda's asynchronous invocation). */
  public deliverTo: (arn: string, payload: unknown) => void = () => undefined;
  /** The organization id of an account (undefined: in none), for the policy's aws:PrincipalOrgID. */
  public orgIdOf: (accountId: string) => string | undefined = () => undefined;

  public putRule(name: string, pattern: Record<string, unknown>, targets: RuleTarget[]): void {
    const buses = targets.map(t => EVENT_BUS_ARN.exec(t.Arn)).filter((bus): bus is RegExpExecArray => bus !== null);
    const otherBus = buses.find(bus => bus[2] !== 'default');
    if (otherBus) throw new Error(`Rule ${name}: the local EventBridge has each account's default bus only, not ${otherBus[2]}`);
    // EventBridge refuses a rule whose target is the bus the rule is on (it would loop).
    if (buses.some(bus => bus[1] === this.accountId)) throw new Error(`Rule ${name}: a rule cannot target the event bus it is on`);
    for (const target of targets) checkTransformer(name, target);
    this.rules.set(name, { pattern, targets });
  }

  public ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  public removeRule(name: string): void {
    this.rules.delete(name);
  }

  /** Adds or replaces a statement of the bus's resource policy (PutPermission with a Policy). */
  public putPolicyStatement(statementId: string, statement: PolicyStatement): void {
    checkBusStatement(statement);
    this.policy.set(statementId, { ...statement, Sid: statementId });
  }

  public removePolicyStatement(statementId: string): void {
    this.policy.delete(statementId);
  }

  /** An event another account's rule sends here: put on the bus if the resource policy allows that account. */
  public receive(event: BusEvent, sender: string): boolean {
    const context: BusContext = { accountId: this.accountId, busName: 'default', orgIdOf: this.orgIdOf };
    if (sender !== this.accountId && !allowsPutEvents(this.policy.values(), sender, context, event as SentEvent)) {
      this.refused.push({ sender, event });
      return false;
    }
    this.put(event, sender !== this.accountId);
    return true;
  }

  /**
   * An event reaches the bus: each rule whose pattern matches sends it to its targets; one that came from
   * another account is not sent on to a third (EventBridge forwards an event across accounts once).
   */
  public put(event: BusEvent, received = false): void {
    for (const [name, rule] of this.rules) {
      if (!matches(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        this.deliveries.push({ rule: name, target: target.Arn, event });
        const bus = EVENT_BUS_ARN.exec(target.Arn);
        if (bus) {
          if (!received) this.forward(bus[1], event);
          continue;
        }
        const input = target.InputTransformer ? transformed(target.InputTransformer, event)
          : target.Input !== undefined ? JSON.parse(target.Input) : event;
        this.deliverTo(target.Arn, input);
      }
    }
  }

  /** Sends the event, unchanged, to an event bus target (putRule allows only default buses). */
  private forward(accountId: string, event: BusEvent): void {
    this.busOf(accountId).receive(event, this.accountId);
  }

  public dispatch(operation: string, body: Record<string, unknown>): unknown {
    if (operation !== 'PutEvents') throw new Error(`Unknown operation ${operation}`);
    const entries = (body.Entries ?? []) as PutEvent[];
    this.events.push(...entries);
    for (const entry of entries) {
      let detail: unknown = {};
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        detail = {};
      }
      this.put({ 'source': entry.Source, 'detail-type': entry.DetailType, 'resources': entry.Resources ?? [], detail });
    }
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${this.events.length - entries.length + i + 1}` })) };
  }
}

function noBus(): EventBus {
  throw new Error('This bus forwards to no other bus');
}

/** A placeholder of an InputTemplate: `<name>` (anywhere, and at a given index). */
const PLACEHOLDER = /<([\w.-]+)>/g;
const PLACEHOLDER_AT = /<([\w.-]+)>/y;

/** EventBridge refuses (ValidationException) a target whose template names a placeholder its InputPathsMap does not define. */
function checkTransformer(rule: string, target: RuleTarget): void {
  const transformer = target.InputTransformer;
  if (!transformer) return;
  for (const [, name] of transformer.InputTemplate.matchAll(PLACEHOLDER)) {
    if (transformer.InputPathsMap?.[name] !== undefined) continue;
    // The predefined variables (aws.events.rule-arn, …) are valid in AWS but not rendered here.
    throw new Error(name.startsWith('aws.events.')
      ? `Rule ${rule}: the local EventBridge does not render the predefined variable ${name}`
      : `ValidationException: InputTemplate for target ${target.Id ?? target.Arn} contains invalid placeholder ${name}.`);
  }
}

/**
 * The input an InputTransformer makes of `event`, as AWS does: a placeholder in a JSON value position gets
 * the value's JSON (a string quoted), and `""` for a path the event lacks; one inside a string gets the
 * value's text unescaped, and nothing for a missing path.
 */
export function transformed(transformer: NonNullable<RuleTarget['InputTransformer']>, event: BusEvent): unknown {
  const valueOf = (path: string) => path.replace(/^\$\.?/, '').split('.').filter(Boolean)
    .reduce((value: unknown, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), event);
  const template = transformer.InputTemplate;
  let text = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (inString && c === '\\') {
      text += template.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    PLACEHOLDER_AT.lastIndex = i;
    const placeholder = c === '<' ? PLACEHOLDER_AT.exec(template) : null;
    if (!placeholder) {
      text += c;
      continue;
    }
    const value = valueOf(transformer.InputPathsMap![placeholder[1]]);
    if (inString) {
      // Inside a string the value goes in as text: an object's or array's inner quotes are dropped.
      text += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value).replace(/"/g, '');
    } else {
      text += value === undefined ? '""' : JSON.stringify(value);
    }
    i += placeholder[0].length - 1;
  }
  return JSON.parse(text);
}

/** Whether `event` matches an EventBridge pattern (the subset described above). */
export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  const fields = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as Array<Record<string, unknown>>).some(branch => matches(branch, event));
    const value = fields[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(value) ? value : [value];
      return expected.some(condition => values.some(v => satisfies(condition, v, key in fields)));
    }
    // A missing object has none of its fields (which `exists: false` matches).
    if (expected !== null && typeof expected === 'object') return matches(expected as Record<string, unknown>, value !== null && typeof value === 'object' ? value : {});
    return false;
  });
}

function satisfies(condition: unknown, value: unknown, present: boolean): boolean {
  if (condition === null || typeof condition !== 'object') return present && value === condition;
  const c = condition as Record<string, unknown>;
  if ('exists' in c) return c.exists === present;
  if (!present) return false;
  if ('prefix' in c) return typeof value === 'string' && value.startsWith(String(c.prefix));
  if ('anything-but' in c) {
    const excluded = [c['anything-but']].flat();
    return !excluded.includes(value);
  }
  return false;
}
