import type { PolicyStatement } from './iam';

/*
 * An event bus's resource policy, as far as this library's EventBusPolicy uses it: statements allowing
 * (or denying) events:PutEvents to '*' or to accounts, on that bus, under StringEquals conditions on
 * aws:PrincipalOrgID (a literal organization id or the policy variable ${aws:ResourceOrgID}). Anything
 * else is refused when the policy is put, so that a test never passes on a policy the local bus ignored.
 */

const SUPPORTED_KEYS = ['aws:PrincipalOrgID'];

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

/** Whether the policy's statements let `sender` put events on the bus: one Allow matches and no Deny does. */
export function allowsPutEvents(statements: Iterable<PolicyStatement>, sender: string, bus: BusContext): boolean {
  const matching = [...statements].filter(statement => applies(statement, sender, bus));
  return matching.some(s => s.Effect === 'Allow') && !matching.some(s => s.Effect === 'Deny');
}

function applies(statement: PolicyStatement, sender: string, bus: BusContext): boolean {
  return principalMatches(statement.Principal, sender) && resourceMatches(statement.Resource, bus) && conditionsHold(statement, sender, bus);
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

function conditionsHold(statement: PolicyStatement, sender: string, bus: BusContext): boolean {
  const expected = statement.Condition?.StringEquals?.['aws:PrincipalOrgID'];
  if (expected === undefined) return true;
  const principalOrg = bus.orgIdOf(sender);
  const resourceOrg = bus.orgIdOf(bus.accountId);
  return principalOrg !== undefined && [expected].flat().some(value => {
    const resolved = value.replace(/\$\{aws:ResourceOrgID\}/g, resourceOrg ?? '\u0000');
    return resolved === principalOrg;
  });
}
