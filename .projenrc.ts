import { awscdk, javascript, JsonFile } from 'projen';

// aws-cdk-lib stays at 2.257.0 for development: integ-runner 2.197.x rejects the cloud-assembly
// schema of newer versions. Users get any 2.x from 2.257.0 on.
const CDK_VERSION = '2.257.0';
const SDK_VERSION = '^3.1169.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-account-management',
  description: 'AWS CDK constructs that declare the settings of AWS accounts in code: alternate contacts, primary contact, account name and opt-in Regions, for the deploying account or any member account of an AWS Organization.',
  author: 'cdk-account-management contributors',
  authorAddress: 'maintainers@example.com',
  repositoryUrl: 'https://github.com/cdk-account-management/cdk-account-management.git',
  keywords: ['cdk', 'aws-cdk', 'awscdk', 'account', 'alternate-contact', 'organizations', 'region-opt-in'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',

  // Every jsii target is declared so that jsii checks the API against their rules; only the
  // JavaScript package is built here (the others need PyPI, Maven Central, dotnet and go).
  publishToPypi: { distName: 'cdk-account-management', module: 'cdk_account_management' },
  publishToMaven: {
    javaPackage: 'io.github.cdk_account_management',
    mavenGroupId: 'io.github.cdk-account-management',
    mavenArtifactId: 'cdk-account-management',
  },
  publishToNuget: { dotNetNamespace: 'CdkAccountManagement', packageId: 'CdkAccountManagement' },
  publishToGo: { moduleName: 'github.com/cdk-account-management/cdk-account-management-go' },

  // 0.x and experimental until the API settles. Releases come from main: projen's release workflow
  // bumps the version from the conventional commits since the last release and writes the changelog.
  stability: 'experimental',
  majorVersion: 0,
  github: true,
  release: true,
  releaseToNpm: true,
  // The development versions are pinned on purpose (aws-cdk-lib for integ-runner): upgrades are made by hand.
  depsUpgrade: false,
  lambdaAutoDiscover: false,

  devDeps: [
    `@aws-sdk/client-account@${SDK_VERSION}`,
    `@aws-sdk/client-cloudformation@${SDK_VERSION}`,
    `@aws-sdk/client-ssm@${SDK_VERSION}`,
    `@aws-sdk/client-s3@${SDK_VERSION}`,
    `@aws-sdk/client-eventbridge@${SDK_VERSION}`,
    `@aws-sdk/client-sts@${SDK_VERSION}`,
    '@smithy/core',
    '@smithy/node-http-handler',
    '@smithy/signature-v4',
    '@smithy/types',
    '@types/aws-lambda',
    'aws-sdk-client-mock@4.1.0',
    'aws-sdk-client-mock-jest@4.1.0',
    'cdk-nag@3.0.2',
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'esbuild',
    // Runs the synthesized state machines in tests (declares Node 22; jest's setup makes it run on Node 20).
    'aws-local-stepfunctions@3.0.0',
    // The command-line tool's bundle of the SDK's default credential chain (cli/credential-chain.ts).
    '@aws-sdk/credential-provider-node@^3.972.99',
  ],

  eslintOptions: { dirs: ['src'], devdirs: ['lambda', 'cli', 'local', 'test', 'examples', 'benchmarks'] },
  tsconfigDev: { include: ['../lambda/**/*.ts', '../cli/**/*.ts', '../local/**/*.ts', '../examples/**/*.ts', '../benchmarks/**/*.ts'] },
  jestOptions: {
    // .ci/run reads the results file to print its summary line.
    extraCliOptions: ['--json', '--outputFile=test-reports/jest-results.json'],
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '\\.snapshot/', '/cdk\\.out/'],
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      // The source that `cdk-account-management import` writes imports the package by its name.
      moduleNameMapper: { '^cdk-account-management$': '<rootDir>/src/index.ts' },
    },
  },
  gitignore: ['/cdk.out', '**/*.snapshot/asset.*', '/test/**/cdk.integ.out.*', '/examples/cdk.out'],
});

// Node 20 is what these machines have: keep jsii's and the SDK's end-of-life banners out of the output.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');

// The custom-resource handlers live under lambda/ and are bundled, with @aws-sdk/* inside the bundle,
// so that the Lambda runtime's own SDK version never matters. Bundles go to assets/ (shipped, not committed),
// one file each within its size budget (projenrc/check-package.ts, issue 18): the SDK's ES modules, so that only the
// commands and schemas a handler sends are kept, without the credential chain Lambda never goes past (its role's
// credentials are in the environment) and the event-stream code no operation here uses, minified with the
// names kept (a stack trace names every function, at a column of a long line rather than under a
// `// lambda/….ts` comment: the unminified bundles were 1.5 to 2.3 MB), and without source maps
// (--enable-source-maps would cost each cold start 35 ms, measured 2026-12-06).
const HANDLER_ALIASES = {
  '@aws-sdk/credential-provider-node': './lambda/shared/lambda-credentials.ts',
  '@smithy/core/event-streams': './lambda/shared/event-streams.ts',
};
const packaged: string[] = [];
for (const entrypoint of ['lambda/settings/index.ts', 'lambda/region/index.ts', 'lambda/organization/index.ts']) {
  packaged.push(project.bundler.addBundle(entrypoint, {
    platform: 'node',
    target: 'node22',
    externals: [],
    mainFields: ['module', 'main'],
    minify: true,
    keepNames: true,
    esbuildArgs: {
      ...Object.fromEntries(Object.entries(HANDLER_ALIASES).map(([from, to]) => [`--alias:${from}=${to}`, true])),
      // The SDK's ES modules load some of Node's own lazily (`await import('node:http')`): as `require`s, a bundle
      // stays one CommonJS file that local/lambda.ts can evaluate (a vm.Script has no `import()` without a flag).
      '--supported:dynamic-import=false': true,
    },
    // esbuild's size report (with a warning sign for files over 1 MB) is noise before the demo's and the tests' output.
    logLevel: javascript.BundleLogLevel.WARNING,
  }).outfile);
}

// The command-line tool (plan, drift, import) is one bundle too, shipped as the package's bin: it needs
// no dependency installed.
// The SDK's ES modules, so that only the commands and schemas the tool sends are kept; the default credential chain
// (profiles, SSO, roles to assume: about 110 KiB) is the bundle below, which a run with the environment's keys never loads.
const CLI_BUNDLE = {
  platform: 'node',
  target: 'node20',
  externals: [],
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  logLevel: javascript.BundleLogLevel.WARNING,
};
const NO_EVENT_STREAMS = { '--alias:@smithy/core/event-streams=./lambda/shared/event-streams.ts': true };
project.bundler.addBundle('cli/index.ts', {
  ...CLI_BUNDLE,
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node=./cli/credentials.ts': true, ...NO_EVENT_STREAMS },
  banner: '#!/usr/bin/env node',
  executable: true,
});
// The SDK's default credential chain, beside the tool's bundle (assets/cli/credential-chain/index.js), which requires it
// at run time when a profile or no key in the environment says where the credentials are.
packaged.push(project.bundler.addBundle('cli/credential-chain.ts', { ...CLI_BUNDLE, esbuildArgs: NO_EVENT_STREAMS }).outfile);
project.addBins({ 'cdk-account-management': 'assets/cli/index/index.js' });

// The handlers, the local services, the example app and the benchmarks are type-checked (and linted) as their own
// projects: they are not part of the jsii build.
for (const dir of ['lambda', 'cli', 'local', 'examples', 'benchmarks']) {
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: {
      extends: '../tsconfig.json',
      compilerOptions: { rootDir: '..', noEmit: true },
      include: ['**/*.ts'],
    },
  });
}

// Tests synthesize stacks whose Lambda code is the bundles: build them first. integ-runner then checks
// the committed snapshots offline.
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);
// ts-jest runs with isolatedModules (no type check): check the handlers and the tests here.
project.testTask.exec('tsc --noEmit -p lambda/tsconfig.json');
project.testTask.exec('tsc --noEmit -p cli/tsconfig.json');
project.testTask.exec('tsc --noEmit -p test/tsconfig.json');
project.testTask.exec('integ-runner --directory test --language typescript --app "ts-node -P test/tsconfig.json {filePath}" --parallel-regions us-east-1');
project.addTask('integ:update', {
  description: 'Rewrite the integ snapshots without deploying',
  steps: [
    { spawn: 'bundle' },
    { exec: 'integ-runner --directory test --language typescript --app "ts-node -P test/tsconfig.json {filePath}" --parallel-regions us-east-1 --update-on-failed --dry-run' },
  ],
});

// The README's and the API docs' examples must compile (rosetta/default.ts-fixture wraps them in a Stack).
project.postCompileTask.exec('jsii-rosetta extract --compile --fail --strict');
project.gitignore.addPatterns('.jsii.tabl.json');
project.npmignore?.addPatterns('/rosetta/', '/examples/', '/benchmarks/', '/docs/', '/lambda/', '/cli/', '/local/', '/.ci/');

// Only the JavaScript package is built on these machines; package-all stays for a release machine.
project.packageTask.reset();
project.packageTask.spawn(project.tasks.tryFind('package:js')!);

// `package:js` makes a working package from a fresh clone as well as after a build: the bundles, the jsii
// assembly (compiled again when src/ changed since), the tarball, then a check that fails on a missing or stale file.
const packageJs = project.tasks.tryFind('package:js')!;
packageJs.reset();
// esbuild leaves the files of earlier bundles (source maps of another configuration) beside its new ones.
packageJs.exec('rm -rf assets');
packageJs.spawn(project.tasks.tryFind('bundle')!);
packageJs.exec('jsii --silence-warnings=reserved-word', { condition: '[ ! -f .jsii ] || [ -n "$(find src -name \'*.ts\' -newer .jsii)" ]' });
packageJs.exec('jsii-pacmak -v --target js');
packageJs.exec(`ts-node projenrc/check-package.ts dist/js/*.tgz ${packaged.join(' ')}`);

// The main job: deploy the example organization's settings locally (the handlers' real bundles under the local
// CloudFormation, Lambda and Step Functions) and show what each account held before and after.
project.addTask('demo', {
  description: 'Deploy the example organization locally and show what each account held before and after',
  steps: [
    { spawn: 'bundle' },
    // Not type-checked here (the build does it, `tsc --noEmit -p examples/tsconfig.json` alone): that took 15 of the demo's 30 s.
    { exec: 'ts-node --transpile-only -P test/tsconfig.json examples/demo.ts' },
  ],
});
project.addTask('example', {
  description: 'Synthesize the example organization\'s stack and print what it declares',
  steps: [
    { spawn: 'bundle' },
    { exec: 'ts-node -P test/tsconfig.json examples/baseline-app.ts' },
  ],
});

// Benchmarks: figures printed side by side, and written to docs/PERFORMANCE.md (never timed tests).
project.addTask('bench', {
  description: 'Run the benchmarks and write docs/PERFORMANCE.md',
  steps: [
    { spawn: 'bundle' },
    { exec: 'ts-node -P test/tsconfig.json benchmarks/run.ts', receiveArgs: true },
  ],
});

project.synth();
