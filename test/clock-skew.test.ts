/*
 * Signed calls (lambda/shared/signed-request.ts) made with a clock that is off from the services': the local
 * services refuse a request signed more than 15 minutes from their clock, as AWS does (S3's RequestTimeTooSkewed,
 * awsJson's InvalidSignatureException, awsQuery's SignatureDoesNotMatch), and answer with their time in `Date`;
 * the call learns the offset from that answer and is signed again, once, at the services' time.
 * The services' clock is moved rather than this process's: the offset is what counts, and it is 20 or 40 minutes,
 * far from both the 5-minute threshold of correction and the 15 minutes the services allow.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { jsonCall, organizationsApi } from '../lambda/shared/aws-json';
import { queryCall, queryError } from '../lambda/shared/aws-query';
import { getObject, putObject } from '../lambda/shared/s3';
import { SignedCaller, signedCall } from '../lambda/shared/signed-request';
import { LocalAws } from '../local';

const MINUTE = 60_000;
const BUCKET = 'store';

let aws: LocalAws;
const requestHandler = new NodeHttpHandler();
const caller = (): SignedCaller => ({ deadline: Date.now() + 30_000, config: () => ({ requestHandler }) });
/** The services' clock, `offset` ms from this process's. */
const servicesAhead = (offset: number) => {
  aws.clock = () => Date.now() + offset;
};
const calls = () => aws.calls.map(call => `${call.operation} ${call.status}${call.errorType ? ` ${call.errorType}` : ''}`);

beforeAll(async () => {
  aws = await LocalAws.start({ requestTimeLimitMs: 15 * MINUTE });
  aws.useForSdkClients();
  aws.s3.createBucket(BUCKET);
});

afterAll(async () => {
  requestHandler.destroy();
  await aws.close();
});

beforeEach(() => aws.clearCalls());

// The tests run in order: each starts from the offset the one before it learned (module state, as in a Lambda environment).

test('an awsJson call refused as signed 20 minutes early is signed again at the services\' time, and succeeds', async () => {
  servicesAhead(20 * MINUTE);
  const answer = await jsonCall<{ Account?: { Id?: string } }>(caller(), organizationsApi(), 'DescribeAccount', { AccountId: aws.managementAccountId });
  expect(answer.Account?.Id).toBe(aws.managementAccountId);
  expect(calls()).toEqual(['organizations:signature 400 InvalidSignatureException', 'organizations:DescribeAccount 200']);
});

test('the offset learned is kept: the next call is signed at the services\' time from the start', async () => {
  await queryCall(caller(), { service: 'sts', version: '2011-06-15', action: 'GetCallerIdentity' });
  expect(calls()).toEqual(['sts:GetCallerIdentity 200']);
});

test('an S3 call refused as RequestTimeTooSkewed (the services now 40 minutes behind the learned time) is corrected too', async () => {
  servicesAhead(-20 * MINUTE);
  await putObject(caller(), BUCKET, 'k.json', '{}');
  expect((await getObject(caller(), BUCKET, 'k.json'))?.body).toBe('{}');
  expect(calls()).toEqual(['s3:signature 403 RequestTimeTooSkewed', 's3:PUT object 200', 's3:GET object 200']);
});

test('an awsQuery call refused as SignatureDoesNotMatch is corrected too', async () => {
  servicesAhead(20 * MINUTE);
  const result = await queryCall(caller(), { service: 'sts', version: '2011-06-15', action: 'GetCallerIdentity' });
  expect(result).toContain('<Account>');
  expect(calls()).toEqual(['sts:signature 403 SignatureDoesNotMatch', 'sts:GetCallerIdentity 200']);
});

test('a call is signed again once only: a refusal that the answer\'s Date does not explain is the caller\'s error', async () => {
  servicesAhead(60 * MINUTE);
  // Every request is refused now: the first answer moves the clock, the second says nothing new.
  aws.requestTimeLimitMs = -1;
  try {
    const error = await queryCall(caller(), { service: 'sts', version: '2011-06-15', action: 'GetCallerIdentity' }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    expect(calls()).toEqual(['sts:signature 403 SignatureDoesNotMatch', 'sts:signature 403 SignatureDoesNotMatch']);
  } finally {
    aws.requestTimeLimitMs = 15 * MINUTE;
  }
});

test('the local services answer with their own time in Date, and refuse nothing within their limit', async () => {
  servicesAhead(60 * MINUTE);
  const answer = await signedCall(caller(), {
    service: 'sts',
    method: 'POST',
    url: new URL(aws.endpoint),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  }, queryError);
  // The offset of the test before (60 minutes) was learned there: this call is in time.
  expect(calls()).toEqual(['sts:GetCallerIdentity 200']);
  // An hour from this process's clock, to the minute (Date has whole seconds).
  expect(Math.abs(Date.parse(answer.headers.date) - aws.clock())).toBeLessThan(MINUTE);
});
