/*
 * The local Step Functions counts the states each execution enters, of every type and within Map
 * iterations: what Step Functions bills as state transitions, which the member benchmark reports.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { LocalAws } from '../local';

const ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:transitions';

let aws: LocalAws;

beforeAll(async () => {
  aws = await LocalAws.start();
  aws.stepFunctions.waitMs = 1;
});

afterAll(async () => {
  await aws.close();
});

test('every state entered is counted once: Pass, Choice, Wait, Map and each iteration\'s states, Succeed', async () => {
  aws.stepFunctions.register(ARN, {
    StartAt: 'Start',
    States: {
      'Start': { Type: 'Pass', Next: 'More?' },
      'More?': { Type: 'Choice', Choices: [{ Variable: '$.more', BooleanEquals: true, Next: 'Pause' }], Default: 'Done' },
      'Pause': { Type: 'Wait', Seconds: 60, Next: 'Each' },
      'Each': {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } },
        ResultPath: null,
        Next: 'Done',
      },
      'Done': { Type: 'Succeed' },
    },
  } as unknown as StateMachineDefinition);

  aws.stepFunctions.dispatch('StartExecution', { stateMachineArn: ARN, name: 'long', input: JSON.stringify({ more: true, items: [1, 2, 3] }) });
  aws.stepFunctions.dispatch('StartExecution', { stateMachineArn: ARN, name: 'short', input: JSON.stringify({ more: false }) });
  await aws.stepFunctions.settled();
  // The event log is read asynchronously: its last entries arrive a turn after the execution ends.
  await new Promise(resolve => setImmediate(resolve));

  const [long, short] = aws.stepFunctions.executions;
  expect(long.status).toBe('SUCCEEDED');
  // Start, More?, Pause, Each, 3 × Item, Done.
  expect(long.statesEntered).toBe(8);
  // Start, More?, Done.
  expect(short.statesEntered).toBe(3);
});
