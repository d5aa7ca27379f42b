/*
 * The main job (`npx projen demo`, examples/demo.ts): the same lifecycle it runs, checked; and the
 * examples that users copy synthesize.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { mask } from '../cli/mask';
import { runDemo } from '../examples/demo';
import { COMPANY, CONTACTS, DATA_PLATFORM, MANAGEMENT, PROD } from '../examples/example-org';

jest.setTimeout(120_000);

test('the demo deploys the example organization, changes nothing when deployed again or reconciled, and removes a contact', async () => {
  const lines: string[] = [];
  const result = await runDemo({ print: line => lines.push(line), timeScale: 50 });

  expect(result.steps.map(s => [s.status, s.writes])).toEqual([
    ['CREATE_COMPLETE', 17],
    ['UPDATE_COMPLETE', 0],
    ['unchanged (a scheduled run)', 0],
    ['UPDATE_COMPLETE', 1],
  ]);
  expect(result.steps.slice(1, 3).map(s => s.changed)).toEqual([0, 0]);
  expect(result.final[PROD]['Region af-south-1']).toBe('ENABLED');
  expect(result.final[PROD].name).toBe('workload-prod');
  expect(result.final[DATA_PLATFORM]['security contact']).toBe(`${mask('Data Security')} <${mask('data-security@example.com')}>`);
  expect(result.final[MANAGEMENT]['operations contact']).toBe('—');
  expect(result.final[MANAGEMENT]['security contact']).toBe(`${mask(CONTACTS.security.name)} <${mask(CONTACTS.security.emailAddress)}>`);
  expect(lines.some(line => line.includes('af-south-1 of 222222222222 is ENABLING'))).toBe(true);

  const output = lines.join('\n');
  const contacts = Object.values(CONTACTS).flatMap(c => [c.name, c.emailAddress, c.phoneNumber]);
  const values = [...contacts, COMPANY.fullName, COMPANY.addressLine1, COMPANY.city];
  for (const value of values) {
    expect(output).not.toContain(value);
  }
});

test.each([
  ['Security Operations Center', 'S******* O********* C*****'],
  ['aws-security@example.com', 'a***********@example.com'],
  ['+1 206-555-0103', '+* ***-***-**03'],
])('mask(%p) shows %p', (value, masked) => {
  expect(mask(value)).toBe(masked);
});

test('the CDK Pipelines example synthesizes: the management stage and a wave of account stages', () => {
  let assembly: CloudAssembly | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assembly = (require('../examples/pipeline-app') as typeof import('../examples/pipeline-app')).assembly;
  });
  const stages = assembly!.nestedAssemblies.map(nested => nested.displayName).sort();
  expect(stages).toEqual(['Account-222222222222', 'Account-333333333333', 'Management']);
  const management = assembly!.nestedAssemblies.find(nested => nested.displayName === 'Management')!.nestedAssembly;
  const template = management.stacks[0].template as { Resources: Record<string, { Type: string }> };
  expect(Object.values(template.Resources).filter(r => r.Type === 'Custom::AccountOrganizationBaseline')).toHaveLength(1);
});
