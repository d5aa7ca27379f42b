/*
 * The example organization's stack (examples/example-org.ts), synthesized: prints what it declares
 * (never the contact values) and what it costs in resources. `npx projen demo` deploys it locally.
 *
 *   npx projen example
 */
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { exampleStack } from './example-org';

const app = new App({ outdir: path.join(__dirname, 'cdk.out') });
const stack = exampleStack({}, app);

const assembly = app.synth();
const template = assembly.getStackByName(stack.stackName).template;
const resources = Object.entries<{ Type: string; Properties: Record<string, any> }>(template.Resources);

const rows = resources
  .filter(([, r]) => r.Type.startsWith('Custom::'))
  .map(([logicalId, r]) => ({
    account: r.Properties.AccountId ?? (r.Properties.BaselineId ? 'the baseline\'s targets' : '(deploying account)'),
    setting: (r.Properties.Setting ?? (r.Properties.RegionName ? `Region ${r.Properties.RegionName}` : r.Properties.BaselineId ? 'OrganizationBaseline' : r.Type))
      + (r.Properties.AlternateContactType ? ` ${r.Properties.AlternateContactType}` : ''),
    resource: `${r.Type} ${logicalId}`,
  }))
  .sort((a, b) => a.account.localeCompare(b.account) || a.setting.localeCompare(b.setting));

const width = (key: keyof typeof rows[number]) => Math.max(key.length, ...rows.map(r => r[key].length));
const line = (r: typeof rows[number]) => `${r.account.padEnd(width('account'))}  ${r.setting.padEnd(width('setting'))}  ${r.resource}`;
console.log(`Stack ${stack.stackName} declares ${rows.length} settings:\n`);
console.log(line({ account: 'account', setting: 'setting', resource: 'resource' }));
rows.forEach(r => console.log(line(r)));

const count = (type: string) => resources.filter(([, r]) => r.Type === type).length;
const statements = resources
  .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
  .reduce((n, [, r]) => n + r.Properties.PolicyDocument.Statement.length, 0);
console.log(`\n${resources.length} resources in all: ${count('AWS::Lambda::Function')} Lambda functions, ${count('AWS::IAM::Role')} IAM roles, `
  + `${count('AWS::StepFunctions::StateMachine')} state machine, ${statements} IAM policy statements.`);
console.log(`Template written to ${path.relative(process.cwd(), assembly.directory)}/${stack.templateFile}`);
