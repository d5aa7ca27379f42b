/*
 * The handlers' bundles as `npx projen bundle` makes them (the test task builds them first): minified, yet a
 * stack trace in a log names the functions it passed through, and each bundle is within its size budget.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV, SECURITY_CONTACT } from './constructs-support';
import { defaultProvider } from '../lambda/shared/lambda-credentials';
import { BUNDLE_GOAL_KIB } from '../projenrc/check-package';
import { AlternateContact } from '../src';

const ROOT = path.join(__dirname, '..');
const HANDLERS = ['settings', 'region', 'organization'];
const asset = (bundle: string) => `assets/lambda/${bundle}/index/index.js`;

/** The stack of the error the bundle's handler throws for a function ARN it cannot read, in a fresh `node`. */
function stackOfBadInvocation(bundle: string): string[] {
  const script = `require(process.argv[1]).handler({}, { invokedFunctionArn: 'not-an-arn', getRemainingTimeInMillis: () => 60000 })
    .then(() => process.exit(1), error => process.stdout.write(error.stack))`;
  return execFileSync(process.execPath, ['-e', script, path.join(ROOT, asset(bundle))], { encoding: 'utf8' }).split('\n');
}

describe('stack traces in the logs are readable without source maps', () => {
  test.each(HANDLERS)('the %s bundle names no source map, and a stack trace names the functions it passed through', bundle => {
    expect(fs.readFileSync(path.join(ROOT, asset(bundle)), 'utf8')).not.toContain('//# sourceMappingURL=');
    const stack = stackOfBadInvocation(bundle);
    expect(stack[0]).toBe('Error: Cannot read the account id from the function ARN "not-an-arn"');
    expect(stack.slice(1, 4).map(frame => /^ {4}at (.*?) \(/.exec(frame)?.[1])).toEqual(['ownAccountId', 'new Invocation', 'Object.handler']);
  });

  test('the functions do not enable source maps (NODE_OPTIONS), which would cost each cold start and find no map', () => {
    const stack = new Stack(new App(), 'Maps', { env: ENV });
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { NODE_OPTIONS: Match.absent() } } });
  });
});

describe('bundle sizes', () => {
  test.each([...HANDLERS.map(asset), 'assets/cli/index/index.js', 'assets/cli/credential-chain/index.js'])('%s is within its budget', file => {
    const kib = fs.statSync(path.join(ROOT, file)).size / 1024;
    expect(kib).toBeLessThanOrEqual(BUNDLE_GOAL_KIB);
  });

  test.each(HANDLERS)('the %s function\'s asset directory holds its bundle alone', bundle => {
    expect(fs.readdirSync(path.join(ROOT, path.dirname(asset(bundle))))).toEqual(['index.js']);
  });
});

describe('the credentials the bundles use in place of the default chain', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('are the environment\'s, as Lambda gives a function its role\'s', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    delete process.env.AWS_CREDENTIAL_EXPIRATION;
    await expect(defaultProvider()()).resolves.toEqual({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  });

  test('without them, fail saying where a Lambda function finds them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(defaultProvider()()).rejects.toThrow(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: a Lambda function gets its role\'s credentials there');
  });
});
