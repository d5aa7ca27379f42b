import { EventBus, transformed } from '../local';

/*
 * The local EventBridge's InputTransformer, held to what AWS does (EventBridge's user guide, "Common issues with
 * transforming input"; the missing-path cases as LocalStack's snapshots recorded them from AWS): a path the event
 * lacks gives `""` in a JSON value position and nothing inside a string; an undefined placeholder is refused.
 * A null's rendering is not documented: the value's JSON is assumed.
 */

const EVENT = { 'source': 'aws.account', 'detail-type': 'Test', 'detail': { name: 'x', nothing: null, object: { a: 1 }, list: ['p', 'q'] } };
const PATHS = { source: '$.source', name: '$.detail.name', missing: '$.detail.missing', deep: '$.detail.missing.deeper', nothing: '$.detail.nothing', object: '$.detail.object', list: '$.detail.list', all: '$' };

test('in a JSON value position: the value\'s JSON, "" for a missing path (however deep), null for a null', () => {
  const template = '{"s":<source>,"n":<name>,"m":<missing>,"d":<deep>,"z":<nothing>,"o":<object>,"l":<list>,"a":<all>}';
  expect(transformed({ InputPathsMap: PATHS, InputTemplate: template }, EVENT)).toEqual({
    s: 'aws.account', n: 'x', m: '', d: '', z: null, o: { a: 1 }, l: ['p', 'q'], a: EVENT,
  });
});

test('inside a string: the value\'s text, nothing for a missing path, an object without its quotes; an escaped quote does not end the string', () => {
  const template = '{"text":"<source> wrote <name> and <missing>, <object>","q":"a \\"<name>\\"","after":<name>}';
  expect(transformed({ InputPathsMap: PATHS, InputTemplate: template }, EVENT)).toEqual({
    text: 'aws.account wrote x and , {a:1}', q: 'a "x"', after: 'x',
  });
});

test('a rule whose template names a placeholder its InputPathsMap lacks is refused, as PutTargets refuses it', () => {
  const bus = new EventBus();
  const target = (template: string) => [{ Arn: 'arn:aws:lambda:us-east-1:111111111111:function:f', Id: 'T', InputTransformer: { InputPathsMap: { name: '$.detail.name' }, InputTemplate: template } }];
  expect(() => bus.putRule('R', { source: ['aws.account'] }, target('{"n":<name>,"o":<other>}'))).toThrow('InputTemplate for target T contains invalid placeholder other.');
  expect(bus.ruleNames()).toEqual([]);

  const delivered: unknown[] = [];
  bus.deliverTo = (_arn, payload) => delivered.push(payload);
  bus.putRule('R', { source: ['aws.account'] }, target('{"n":<name>,"t":"the name <name>"}'));
  bus.put(EVENT);
  expect(delivered).toEqual([{ n: 'x', t: 'the name x' }]);
});
