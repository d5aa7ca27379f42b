/*
 * The SDK's default credential chain (profiles, SSO, credential_process, web identity, roles to assume, container and
 * instance metadata, with the nested STS, SSO and sign-in clients they use), bundled on its own as
 * assets/cli/credential-chain/index.js: the tool's bundle loads it only when the environment's keys are not what it signs with (cli/credentials.ts).
 */
export { defaultProvider } from '@aws-sdk/credential-provider-node';
