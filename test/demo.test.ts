/*
 * The main job (`npx projen demo`, examples/demo.ts): the same lifecycle it runs, checked; and the
 * examples that users copy synthesize.
 */
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { mask } from '../cli/mask';
import { NEXT_STEPS, runDemo } from '../examples/demo';
import { CONTACTS, DATA_PLATFORM, MANAGEMENT, PROD, WORKLOAD_ACCOUNTS } from '../examples/example-org';

jest.setTimeout(120_000);

const lines: string[] = [];
/** What the demo wrote besides its lines: stderr, console warnings and errors, process warnings. */
const noise: string[] = [];
let result: Awaited<ReturnType<typeof runDemo>>;

beforeAll(async () => {
  const spies = [
    jest.spyOn(process.stderr, 'write').mockImplementation(chunk => { noise.push(String(chunk)); return true; }),
    jest.spyOn(console, 'warn').mockImplementation((...args) => { noise.push(args.join(' ')); }),
    jest.spyOn(console, 'error').mockImplementation((...args) => { noise.push(args.join(' ')); }),
  ];
  const onWarning = (warning: Error) => { noise.push(`${warning.name}: ${warning.message}`); };
  process.on('warning', onWarning);
  try {
    result = await runDemo({ print: line => lines.push(line), timeScale: 50 });
  } finally {
    process.off('warning', onWarning);
    spies.forEach(spy => spy.mockRestore());
  }
});

test('the demo writes nothing but its lines: no warning, nothing on stderr', () => {
  expect(noise).toEqual([]);
});

test('the demo deploys the example organization, changes nothing when deployed again or reconciled, and removes a contact', () => {

  expect(result.steps.map(s => [s.status, s.writes])).toEqual([
    ['CREATE_COMPLETE', 17],
    ['UPDATE_COMPLETE', 0],
    ['unchanged (a scheduled run)', 0],
    ['UPDATE_COMPLETE', 1],
  ]);
  expect(result.steps.slice(1, 3).map(s => s.changed)).toEqual([0, 0]);
  expect(result.final[PROD]['Region af-south-1']).toBe('ENABLED');
  expect(result.final[PROD].name).toBe('workload-prod');
  expect(result.final[MANAGEMENT]['operations contact']).toBe('—');
  expect(result.final[MANAGEMENT]['security contact']).toBe(`${CONTACTS.security.name} <${CONTACTS.security.emailAddress}>`);
  expect(lines.some(line => line.includes('af-south-1 of 222222222222 is ENABLING'))).toBe(true);
});

test('the demo shows the example\'s made-up values, so that the override of one account is seen, and ends with what to do next', () => {
  const security = (id: string) => result.final[id]['security contact'];
  expect(security(WORKLOAD_ACCOUNTS[0])).toBe('Security Operations Center <aws-security@example.com>');
  expect(security(DATA_PLATFORM)).toBe('Data Security <data-security@example.com>');
  const created = lines.slice(0, lines.findIndex(line => line.startsWith('== Deploy it again')));
  expect(created.some(line => line.includes(DATA_PLATFORM) && line.includes('Data Security <data-security@example.com>'))).toBe(true);
  expect(lines.slice(-NEXT_STEPS.length)).toEqual(NEXT_STEPS);
  expect(NEXT_STEPS.join('\n')).toContain('npx projen demo');
});

test('the demo runs plan, drift and import against the same local services: the removed contact, the name changed by hand, the account\'s source', () => {
  const [planRun, driftRun, importRun] = result.cli;
  expect(planRun.code).toBe(2);
  expect(planRun.output).toMatch(/111111111111.*OPERATIONS.*will be written/);
  expect(planRun.output).not.toContain('Cloud Platform On-Call'); // the tool masks contact values, made up or not
  expect(driftRun.code).toBe(2);
  expect(driftRun.output).toMatch(/333333333333.*renamed-by-hand/);
  expect(importRun.code).toBe(0);
  expect(importRun.output).toContain("accountName: 'workload-prod',");
  expect(importRun.output).toContain("enabledRegions: ['af-south-1'],");
});

test('the demo ends with status: the OU baseline\'s current generation converged, read from its run, exit code 0', () => {
  const statusRun = result.cli[result.cli.length - 1];
  expect(statusRun.args[0]).toBe('status');
  expect(statusRun.code).toBe(0);
  expect(statusRun.output).toMatch(/\(stack OrgBaseline\): converged/);
  expect(statusRun.output).toMatch(/Accounts {4}\d+\/\d+ \(100 %\)/);
  expect(statusRun.output).toMatch(/Status: 1 converged \(exit 0\)/);
  expect(statusRun.output).not.toContain('Security Operations Center'); // no contact value, made up or not
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
