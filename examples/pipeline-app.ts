/*
 * An org-baseline pipeline (CDK Pipelines), where most users run this library:
 *
 * - the Management stage deploys, in the organization's management account (or the Account
 *   Management delegated administrator), the settings of many accounts at once: an
 *   OrganizationBaseline over the workload OUs (organizations mode), with new accounts covered;
 * - a wave of per-account stages deploys, in each account, what that account declares for itself
 *   (standalone mode: no accountId), e.g. its security contact and its Regions.
 *
 * What each needs:
 * - the pipeline account bootstrapped, and every target account bootstrapped to trust it:
 *   `cdk bootstrap aws://<account>/us-east-1 --trust <pipeline account> --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess`
 *   (or a narrower execution policy that allows what the stacks create: Lambda, IAM roles and policies,
 *   Step Functions, S3, EventBridge, CloudWatch Logs);
 * - for the Management stage: an organization with all features, trusted access for Account Management
 *   (`aws organizations enable-aws-service-access --service-principal account.amazonaws.com`), and the
 *   stage's account being the management account or the registered delegated administrator
 *   (`aws organizations register-delegated-administrator --account-id <id> --service-principal account.amazonaws.com`);
 *   us-east-1, where the new-account events arrive;
 * - crossAccountKeys on the pipeline, since it deploys to other accounts.
 *
 * It synthesizes with `npx cdk synth` in a CDK app that has a `cdk.json` pointing at this file.
 */
import { App, Duration, Stack, Stage, StageProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { CodePipeline, CodePipelineSource, ShellStep } from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { AlternateContact, AlternateContactType, DeployWaitsFor, OrganizationBaseline, RegionOptIn } from '../src';

const PIPELINE_ACCOUNT = '123456789012';
const MANAGEMENT_ACCOUNT = '111111111111';
const WORKLOAD_OUS = ['ou-ab12-prod0001', 'ou-ab12-test0001'];
/** Accounts that declare settings of their own, in their own stacks. */
const WORKLOAD_ACCOUNTS = ['222222222222', '333333333333'];

const SECURITY = { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' };
const BILLING = { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' };

/** The management account's stack: the settings of every workload account, by OU. */
class ManagementStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    const stack = new Stack(this, 'OrganizationBaseline');
    new OrganizationBaseline(stack, 'Workloads', {
      organizationalUnitIds: WORKLOAD_OUS,
      alternateContacts: { security: SECURITY, billing: BILLING },
      // The pipeline's deploy completes once every account's contacts are set; Regions go on after it.
      deployWaitsFor: DeployWaitsFor.CONTACTS,
      coverNewAccounts: true,
      reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
    });
  }
}

/** One account's own stack: what it declares for itself (standalone mode). */
class AccountStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    const stack = new Stack(this, 'AccountSettings');
    new AlternateContact(stack, 'Operations', {
      type: AlternateContactType.OPERATIONS,
      name: 'Workload On-Call',
      title: 'Operations',
      emailAddress: 'workload-ops@example.com',
      phoneNumber: '+1 206-555-0102',
    });
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
  }
}

const app = new App();
const pipelineStack = new Stack(app, 'OrgBaselinePipeline', { env: { account: PIPELINE_ACCOUNT, region: 'us-east-1' } });
const pipeline = new CodePipeline(pipelineStack, 'Pipeline', {
  crossAccountKeys: true,
  synth: new ShellStep('Synth', {
    input: CodePipelineSource.connection('example-org/org-baseline', 'main', {
      connectionArn: `arn:aws:codeconnections:us-east-1:${PIPELINE_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
    }),
    commands: ['npm ci', 'npx cdk synth'],
  }),
});
pipeline.addStage(new ManagementStage(app, 'Management', { env: { account: MANAGEMENT_ACCOUNT, region: 'us-east-1' } }));
const wave = pipeline.addWave('Accounts');
for (const account of WORKLOAD_ACCOUNTS) {
  wave.addStage(new AccountStage(app, `Account-${account}`, { env: { account, region: 'us-east-1' } }));
}
export const assembly = app.synth();
