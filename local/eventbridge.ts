/*
 * Amazon EventBridge's default bus, locally: PutEvents (awsJson1_1), recording what the handlers send,
 * and the rules the local deployment engine registers, whose targets get each matching event (from
 * PutEvents or from a local service, such as Step Functions' status changes) by an asynchronous
 * invocation. Patterns match literal values, `prefix`, `anything-but` and `exists`, which is what this
 * library's rules use; targets with an InputTransformer are not delivered to (tests invoke them by hand).
 */
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
  /** A constant input (JSON) instead of the event. */
  readonly Input?: string;
  readonly InputTransformer?: unknown;
}

/** An event as rules see it. */
export type BusEvent = object;

export class EventBus {
  public readonly events: PutEvent[] = [];
  /** Every event a rule delivered to a target, in order. */
  public readonly deliveries: Array<{ readonly rule: string; readonly target: string; readonly event: BusEvent }> = [];
  private readonly rules = new Map<string, { pattern: Record<string, unknown>; targets: RuleTarget[] }>();
  /** How a target gets an event (the local Lambda's asynchronous invocation). */
  public deliverTo: (arn: string, payload: unknown) => void = () => undefined;

  public putRule(name: string, pattern: Record<string, unknown>, targets: RuleTarget[]): void {
    this.rules.set(name, { pattern, targets });
  }

  public removeRule(name: string): void {
    this.rules.delete(name);
  }

  /** An event reaches the bus: each rule whose pattern matches sends it to its targets. */
  public put(event: BusEvent): void {
    for (const [name, rule] of this.rules) {
      if (!matches(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        if (target.InputTransformer !== undefined) continue;
        this.deliveries.push({ rule: name, target: target.Arn, event });
        this.deliverTo(target.Arn, target.Input !== undefined ? JSON.parse(target.Input) : event);
      }
    }
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

/** Whether `event` matches an EventBridge pattern (the subset described above). */
export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  const fields = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const value = fields[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(value) ? value : [value];
      return expected.some(condition => values.some(v => satisfies(condition, v, key in fields)));
    }
    if (expected !== null && typeof expected === 'object') return value !== null && typeof value === 'object' && matches(expected as Record<string, unknown>, value);
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
