/*
 * The handlers' bundles use this in place of @aws-sdk/credential-provider-node (an esbuild alias in
 * .projenrc.ts): Lambda gives a function its role's credentials in the environment, so the default chain's
 * SSO, INI, process, web-identity, container and instance-metadata providers, and the nested STS and SSO
 * clients they bring (about 100 KiB minified), are never reached there.
 */
import { CredentialsProviderError } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** The environment's credentials, as the default chain's first provider (fromEnv) reads them. */
export function defaultProvider(init: { logger?: Logger } = {}): AwsCredentialIdentityProvider {
  return async () => {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
    const expiry = process.env.AWS_CREDENTIAL_EXPIRATION;
    if (!accessKeyId || !secretAccessKey) {
      throw new CredentialsProviderError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: a Lambda function gets its role\'s credentials there', {
        logger: init.logger,
      });
    }
    const credentials: AwsCredentialIdentity = { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
    return expiry ? { ...credentials, expiration: new Date(expiry) } : credentials;
  };
}
