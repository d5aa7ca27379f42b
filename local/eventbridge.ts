/*
 * Amazon EventBridge's PutEvents (awsJson1_1), recording what the handlers send to the default bus.
 */
export interface PutEvent {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Resources?: string[];
}

export class EventBus {
  public readonly events: PutEvent[] = [];

  public dispatch(operation: string, body: Record<string, unknown>): unknown {
    if (operation !== 'PutEvents') throw new Error(`Unknown operation ${operation}`);
    const entries = (body.Entries ?? []) as PutEvent[];
    this.events.push(...entries);
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `event-${this.events.length - entries.length + i + 1}` })) };
  }
}
