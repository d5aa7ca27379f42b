import * as path from 'path';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/*
 * The tool's bundle uses this in place of @aws-sdk/credential-provider-node (an esbuild alias in .projenrc.ts): keys in
 * the environment, with no profile named, are read here as the default chain's first provider (fromEnv) reads them;
 * anything else loads the SDK's whole chain from the bundle beside the tool's (cli/credential-chain.ts), which a run
 * that signs with the environment's keys, or prints its help or version, never parses.
 */

type DefaultProvider = (init: { profile?: string }) => AwsCredentialIdentityProvider;

/** Where the bundled chain is: next to the tool's bundle (assets/cli/index/index.js) in the package. */
export const CHAIN_BUNDLE = path.join(__dirname, '..', 'credential-chain', 'index.js');

/** The environment's keys, as fromEnv returns them (the SDK's feature mark included); undefined without both of them. */
function fromEnvironment(env: NodeJS.ProcessEnv): AwsCredentialIdentity | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const { AWS_CREDENTIAL_EXPIRATION: expiry, AWS_CREDENTIAL_SCOPE: credentialScope, AWS_ACCOUNT_ID: accountId } = env;
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken && { sessionToken }),
    ...(expiry && { expiration: new Date(expiry) }),
    ...(credentialScope && { credentialScope }),
    ...(accountId && { accountId }),
    $source: { CREDENTIALS_ENV_VARS: 'g' },
  } as AwsCredentialIdentity;
}

/** The default chain: the environment's keys unless a profile is named (as the SDK's chain does), else the bundled chain, loaded once. */
export function defaultProvider(init: { profile?: string } = {}): AwsCredentialIdentityProvider {
  let chain: AwsCredentialIdentityProvider | undefined;
  return async properties => {
    const fromEnv = init.profile ?? process.env.AWS_PROFILE ? undefined : fromEnvironment(process.env);
    if (fromEnv) return fromEnv;
    chain ??= loadChain().defaultProvider(init);
    return chain(properties);
  };
}

function loadChain(): { defaultProvider: DefaultProvider } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(CHAIN_BUNDLE) as { defaultProvider: DefaultProvider };
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    // Named as the SDK names a chain that finds no credentials, so that the tool says "No credentials" and what to check.
    throw Object.assign(new Error(`the credential chain for profiles (${CHAIN_BUNDLE}) is missing: reinstall cdk-account-management`), {
      name: 'CredentialsProviderError',
      tryNextLink: false,
    });
  }
}
