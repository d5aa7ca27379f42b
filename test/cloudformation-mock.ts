import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { AwsStub, mockClient } from 'aws-sdk-client-mock';
import { CloudFormation } from '../lambda/shared/cloudformation';

/*
 * The handlers read CloudFormation through their own signed calls (lambda/shared/cloudformation.ts): a test
 * that mocks the answers routes those reads to aws-sdk-client-mock's mock of the SDK's client, whose
 * answers and assertions (`on(DescribeStacksCommand)`, `toHaveReceivedCommandWith`) it already writes in.
 * The reads themselves are tested against the local CloudFormation (test/cloudformation.test.ts).
 */

type Mock = AwsStub<any, any, any>;

/** The mock of CloudFormation's answers for this test file (its `restore()` ends the mock, not the routing, which lasts for the file). */
export function mockCloudFormation(): Mock {
  const mock = mockClient(CloudFormationClient);
  const client = new CloudFormationClient({ region: 'us-east-1' });
  const send = (command: unknown) => client.send(command as never) as Promise<never>;
  // Assigned, not spied on: jest.restoreAllMocks() in a test's afterEach must not undo the routing.
  Object.assign(CloudFormation.prototype, {
    describeStackResource: (input: object) => send(new DescribeStackResourceCommand(input as never)),
    describeStacks: (input: object) => send(new DescribeStacksCommand(input as never)),
    describeStackEvents: (input: object) => send(new DescribeStackEventsCommand(input as never)),
    listStackResources: (input: object) => send(new ListStackResourcesCommand(input as never)),
    getTemplate: (input: object) => send(new GetTemplateCommand(input as never)),
  });
  return mock;
}
