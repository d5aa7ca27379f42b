import { AccountClient } from '@aws-sdk/client-account';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';

/** Attempts per call, the first included: enough to ride out a burst of throttling. */
export const MAX_ATTEMPTS = 8;
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 20_000;

/**
 * Full-jitter exponential backoff: a random delay up to 250 ms, 500 ms, 1 s, … 20 s. Seven retries wait
 * about 16 s on average and 32 s at the most, well within the handler's timeout.
 */
export function backoffDelay(attempt: number): number {
  return Math.floor(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

/*
 * One client per module, made on first use and kept across invocations (connection reuse). The SDK
 * retries throttling (429, TooManyRequestsException) and 5xx with the strategy above; the endpoint
 * honours AWS_ENDPOINT_URL_ACCOUNT (and AWS_ENDPOINT_URL_<SERVICE> for the other clients, each made in
 * the module that needs it).
 */
const accountClients = new Map<number, AccountClient>();

/** The Account Management client that makes up to `maxAttempts` attempts per call. */
export function accountClient(maxAttempts = MAX_ATTEMPTS): AccountClient {
  let client = accountClients.get(maxAttempts);
  if (!client) {
    client = new AccountClient({ retryStrategy: retryStrategy(maxAttempts) });
    accountClients.set(maxAttempts, client);
  }
  return client;
}

/** The retry strategy of every client: MAX_ATTEMPTS attempts with full-jitter backoff. */
export function retryStrategy(maxAttempts = MAX_ATTEMPTS): ConfiguredRetryStrategy {
  return new ConfiguredRetryStrategy(maxAttempts, backoffDelay);
}
