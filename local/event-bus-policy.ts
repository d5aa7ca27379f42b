import type { PolicyStatement } from './iam';

/*
 * An event bus's resource policy, as far as this library's EventBusPolicy uses it: statements allowing
 * (or denying) events:PutEvents to '*' or to accounts, on that bus, under StringEquals conditions on
 * aws:PrincipalOrgID (a literal organization id or the policy variable ${aws:ResourceOrgID}) and on the
 * event's events:source and events:detail-type. Anything
 * else is refused when the policy is put, so that a test never passes on a policy the local bus ignored.
 */

const SUPPORTED_KEYS = ['aws:PrincipalOrgID', 'events:source', 'events:detail-type'];

/** The bus a policy is evaluated for, and the organization of each account. */
export interface BusContext {
  readonly accountId: string;
  /** The bus's ARN (its Region is not compared: the local buses are one per account). */
  readonly busName: string;
  /** The organization id of an account (undefined: in none). */
  readonly orgIdOf: (accountId: string) => string | undefined;
}

/** Throws when a statement uses what the local evaluation does not know (it would otherwise be silently ignored). */
export function checkBusStatement(statement: PolicyStatement): void {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') throw new Error(`Invalid event bus policy: Effect ${String(statement.Effect)}`);
  const actions = [statement.Action ?? []].flat();
  if (actions.length === 0 || actions.some(action => action !== 'events:PutEvents')) {
    throw new Error(`The local event bus policy supports only Action events:PutEvents (got ${JSON.stringify(statement.Action)})`);
  }
  for (const [operator, conditions] of Object.entries(statement.Condition ?? {})) {
    const keys = Object.keys(conditions);
    if (operator !== 'StringEquals' || keys.some(key => !SUPPORTED_KEYS.includes(key))) {
      throw new Error(`The local event bus policy supports only StringEquals on ${SUPPORTED_KEYS.join(', ')} (got ${operator} ${keys.join(', ')})`);
    }
  }
}

/** What of an event the policy's conditions read. */
export interface SentEvent {
  readonly 'source'?: unknown;
  readonly 'detail-type'?: unknown;
}

/** Whether the policy's statements let `sender` put `event` on the bus: one Allow matches and no Deny does. */
export function allowsPutEvents(statements: Iterable<PolicyStatement>, sender: string, bus: BusContext, event: SentEvent): boolean {
  const matching = [...statements].filter(statement => applies(statement, sender, bus, event));
  return matching.some(s => s.Effect === 'Allow') && !matching.some(s => s.Effect === 'Deny');
}

function applies(statement: PolicyStatement, sender: string, bus: BusContext, event: SentEvent): boolean {
  return principalMatches(statement.Principal, sender) && resourceMatches(statement.Resource, bus)
    && orgConditionHolds(statement, sender, bus) && eventConditionsHold(statement, event);
}

function principalMatches(principal: unknown, sender: string): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: string | string[] } | undefined)?.AWS;
  return [aws ?? []].flat().some(p => p === '*' || p === sender || p === `arn:aws:iam::${sender}:root`);
}

function resourceMatches(resource: string | string[] | undefined, bus: BusContext): boolean {
  const pattern = new RegExp(`^arn:aws:events:[a-z0-9-]+:${bus.accountId}:event-bus/${bus.busName}$`);
  return [resource ?? []].flat().some(r => r === '*' || pattern.test(r));
}

/** events:source and events:detail-type, where the statement names them, are the event's. */
function eventConditionsHold(statement: PolicyStatement, event: SentEvent): boolean {
  const conditions = statement.Condition?.StringEquals ?? {};
  return (['source', 'detail-type'] as const).every(field => {
    const expected = conditions[`events:${field}`];
    return expected === undefined || [expected].flat().includes(String(event[field]));
  });
}

function orgConditionHolds(statement: PolicyStatement, sender: string, bus: BusContext): boolean {
  const expected = statement.Condition?.StringEquals?.['aws:PrincipalOrgID'];
  if (expected === undefined) return true;
  const principalOrg = bus.orgIdOf(sender);
  const resourceOrg = bus.orgIdOf(bus.accountId);
  return principalOrg !== undefined && [expected].flat().some(value => {
    const resolved = value.replace(/\$\{aws:ResourceOrgID\}/g, resourceOrg ?? '\u0000');
    return resolved === principalOrg;
  });
}
