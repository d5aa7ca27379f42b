/*
 * Amazon EventBridge's default bus, locally: PutEvents (awsJson1_1), recording what the handlers send,
 * and the rules the local deployment engine registers, whose targets get each matching event (from
 * PutEvents or from a local service, such as Step Functions' status changes) by an asynchronous
 * invocation. Patterns match literal values, `prefix`, `anything-but`, `exists` and `$or`, which is what this
 * library's rules use; an InputTransformer's paths are dot paths (`$`, `$.detail.x`), its placeholders JSON values.
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
  readonly InputTransformer?: { readonly InputPathsMap?: Record<string, string>; readonly InputTemplate: string };
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
        this.deliveries.push({ rule: name, target: target.Arn, event });
        const input = target.InputTransformer ? transformed(target.InputTransformer, event)
          : target.Input !== undefined ? JSON.parse(target.Input) : event;
        this.deliverTo(target.Arn, input);
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

/** The input an InputTransformer makes of `event`: each `<name>` replaced by the JSON of its path's value (a missing one, null). */
function transformed(transformer: NonNullable<RuleTarget['InputTransformer']>, event: BusEvent): unknown {
  const valueOf = (path: string) => path.replace(/^\$\.?/, '').split('.').filter(Boolean)
    .reduce((value: unknown, key) => (value as Record<string, unknown> | undefined)?.[key], event) ?? null;
  const text = transformer.InputTemplate.replace(/<([\w.-]+)>/g, (placeholder, name: string) => {
    const path = transformer.InputPathsMap?.[name];
    return path === undefined ? placeholder : JSON.stringify(valueOf(path));
  });
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
