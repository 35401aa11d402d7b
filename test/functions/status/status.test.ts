import 'aws-sdk-client-mock-jest';
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../functions/status/handler';
import { mockClientForFile } from '../../mock-client';
import { awsError, EXECUTION_ARN, loadEvent, useExampleConfig, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const ec2 = mockClientForFile(EC2Client);
const sts = mockClientForFile(STSClient);
const dynamo = mockClientForFile(DynamoDBDocumentClient);
const NAME = `${VPC}-onboard-6a7e8febb491`;

function tagsWritten(): Record<string, string> {
  const call = ec2.commandCalls(CreateTagsCommand)[0];
  if (!call) throw new Error('no CreateTags call');
  expect(call.args[0].input.Resources).toEqual([VPC]);
  return Object.fromEntries((call.args[0].input.Tags ?? []).map((t) => [t.Key, t.Value]));
}

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: ['at somewhere'] });

describe('Function: status', () => {
  beforeEach(() => {
    ec2.reset();
    sts.reset();
    dynamo.reset();
    useExampleConfig();
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    ec2.on(CreateTagsCommand).resolves({});
    dynamo.on(GetCommand).resolves({});
  });

  // The fields of the state a status reads, each under its own name (as the ASL passes them).
  const run = (status: string, state: Record<string, unknown>) =>
    handler({ status, executionName: NAME, executionArn: EXECUTION_ARN, ...state });

  it('writes onboarding with the segment, services and chosen subnets, and the execution name', async () => {
    const result = await run('onboarding', { event: loadEvent('tag-change-connect'), plan: examplePlan() });

    expect(result).toMatchObject({ written: true, status: 'onboarding' });
    expect(tagsWritten()).toEqual({
      'spokelink:status': 'onboarding',
      'spokelink:detail':
        'onboarding to segment nonprod; services ssm,sts; attachment subnets subnet-0000000000000000a (us-east-1a), ' +
        'subnet-0000000000000000c (us-east-1b) (one per AZ, lowest CIDR)',
      'spokelink:execution': NAME,
    });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222222222222:role/spokelink-spoke',
    });
  });

  it('writes connected with the summary RecordConsumer made', async () => {
    await run('connected', {
      event: loadEvent('tag-change-connect'),
      plan: examplePlan(),
      record: { summary: 'connected to segment nonprod via tgw-attach-1' },
    });

    expect(tagsWritten()['spokelink:detail']).toBe('connected to segment nonprod via tgw-attach-1');
  });

  it('writes rejected with the rejection message, from the raw event when there is no plan', async () => {
    const result = await run('rejected', {
      event: loadEvent('tag-change-connect'),
      failure: {},
      error: {
        Error: 'RejectedError',
        Cause: lambdaCause('RejectedError', 'unknown-segment: segment "x" is not one of prod, nonprod'),
      },
    });

    expect(result.written).toBe(true);
    expect(tagsWritten()).toMatchObject({
      'spokelink:status': 'rejected',
      'spokelink:detail': 'unknown-segment: segment "x" is not one of prod, nonprod',
    });
  });

  it('understands the plain Cause of a local run as well', async () => {
    await run('rejected', {
      event: loadEvent('tag-change-connect'),
      error: { Error: 'RejectedError', Cause: 'no-subnet: vpc has no subnet' },
    });

    expect(tagsWritten()['spokelink:detail']).toBe('no-subnet: vpc has no subnet');
  });

  it('writes failed naming the failing branch step and returns the Fail error and cause', async () => {
    const result = await run('failed', {
      event: loadEvent('tag-change-connect'),
      plan: examplePlan(),
      failure: {},
      branches: [
        {
          failed: {
            CreateSpokeRoutes: {
              Error: 'ConflictError',
              Cause: lambdaCause('ConflictError', 'rtb-1 routes 10.0.0.0/16 to pcx-1'),
            },
          },
        },
        { associated: 2 },
        { rules: 2 },
      ],
    });

    expect(tagsWritten()).toMatchObject({
      'spokelink:status': 'failed',
      'spokelink:detail': 'CreateSpokeRoutes: ConflictError: rtb-1 routes 10.0.0.0/16 to pcx-1',
    });
    expect(result).toMatchObject({
      error: 'ConflictError',
      cause: 'CreateSpokeRoutes: ConflictError: rtb-1 routes 10.0.0.0/16 to pcx-1',
    });
  });

  it('names a failed top-level step from the failure map', async () => {
    await run('failed', {
      event: loadEvent('tag-change-connect'),
      failure: { ValidateAndPlan: { Error: 'AccessDeniedException', Cause: 'not a delegated administrator' } },
    });

    expect(tagsWritten()['spokelink:detail']).toBe(
      'ValidateAndPlan: AccessDeniedException: not a delegated administrator',
    );
  });

  it('keeps the detail within the 256 characters of a tag value', async () => {
    await run('failed', {
      event: loadEvent('tag-change-connect'),
      failure: { AssociateZones: { Error: 'ConflictError', Cause: 'x'.repeat(1000) } },
    });

    expect(tagsWritten()['spokelink:detail']!.length).toBeLessThanOrEqual(256);
  });

  describe('after the onboarding rolled back (SummarizeRollback)', () => {
    const zoneFull = lambdaCause(
      'QuotaExceededError',
      `associating ${VPC} with zone sts.us-east-1.amazonaws.com: LimitsExceeded: Limits Exceeded: ` +
        'MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 300.',
    );
    const failedZones = (rollback: Record<string, unknown>) => ({
      event: loadEvent('tag-change-connect'),
      plan: examplePlan(),
      failure: {},
      branches: [
        { attachment: {} },
        { failed: { AssociateZones: { Error: 'QuotaExceededError', Cause: zoneFull } } },
        {},
      ],
      ...rollback,
    });

    /** CreateAttachment failed on a quota (`cause`), then the rollback said `summary`. */
    const failedAttachment = (summary: string, cause: string) => ({
      ...failedZones({ rollbackOutcome: { summary } }),
      branches: [{ failed: { CreateAttachment: { Error: 'QuotaExceededError', Cause: cause } } }],
    });

    it('says what was rolled back after the failure, and puts it in the Fail cause too', async () => {
      const summary = 'rolled back: attachment, 1 route, 2 SG rules';
      const result = await run('failed', failedZones({ rollbackFailure: {}, rollbackOutcome: { summary } }));

      const failure =
        `AssociateZones: QuotaExceededError: associating ${VPC} with zone sts.us-east-1.amazonaws.com: ` +
        'LimitsExceeded: Limits Exceeded: MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 300.';
      expect(tagsWritten()['spokelink:detail']).toBe(`${failure}; ${summary}`);
      expect(result).toMatchObject({ error: 'QuotaExceededError', cause: `${failure}; ${summary}` });
    });

    it('shortens the failure, never the rollback, to stay within 256 characters: the quota stays named', async () => {
      const summary =
        'rollback incomplete (UndoZoneAssociations: PriorRequestNotComplete); left: zone ssm.us-east-1.amazonaws.com';
      await run('failed', failedZones({ rollbackOutcome: { summary } }));

      const detail = tagsWritten()['spokelink:detail']!;
      expect(detail).toHaveLength(256);
      // The spelled-out repeat of the code and the VPC's own id go first; then the end of the AWS message.
      expect(
        detail.startsWith(
          'AssociateZones: QuotaExceededError: associating the VPC with zone sts.us-east-1.amazonaws.com: ' +
            'LimitsExceeded: MAX_VPCS_',
        ),
      ).toBe(true);
      expect(detail.endsWith(`...; ${summary}`)).toBe(true);
    });

    it('cuts the end of a failure too long even once compacted, keeping its start: step, error, quota code', async () => {
      const summary = 'rolled back: 2 zone assocs, 2 SG rules, principal';
      await run(
        'failed',
        failedAttachment(
          summary,
          `attaching ${VPC} to tgw-1: TransitGatewayAttachmentLimitExceeded: ${'y'.repeat(300)}`,
        ),
      );

      const detail = tagsWritten()['spokelink:detail']!;
      expect(detail).toHaveLength(256);
      expect(detail).toMatch(
        /^CreateAttachment: QuotaExceededError: attaching the VPC to tgw-1: TransitGatewayAttachmentLimitExceeded: y+\.\.\.; rolled back: 2 zone assocs, 2 SG rules, principal$/,
      );
    });

    it("keeps AWS's quoted message as AWS wrote it: only spokelink's own words lose the VPC id", async () => {
      const summary = `rollback incomplete (UndoZoneAssociations: PriorRequestNotComplete); left: ${'z'.repeat(20)}`;
      const aws = `VPC ${VPC} has reached the maximum number of transit gateway attachments (5).`;
      await run(
        'failed',
        failedAttachment(
          summary,
          `attaching ${VPC} to tgw-1 in ${'x'.repeat(10)}: TransitGatewayAttachmentLimitExceeded: ${aws}`,
        ),
      );

      const detail = tagsWritten()['spokelink:detail']!;
      expect(detail.length).toBeLessThanOrEqual(256);
      expect(detail).toContain(`attaching the VPC to tgw-1 in x`);
      expect(detail).toContain(`TransitGatewayAttachmentLimitExceeded: VPC ${VPC} has reached`);
      expect(detail).not.toContain('VPC the VPC');
    });

    it('says the rollback outcome is unknown when SummarizeRollback itself failed', async () => {
      await run(
        'failed',
        failedZones({ rollbackFailure: { SummarizeRollback: { Error: 'Lambda.Unknown', Cause: 'x' } } }),
      );

      expect(tagsWritten()['spokelink:detail']).toMatch(
        /; rollback outcome unknown \(SummarizeRollback: Lambda.Unknown\): the registry record lists what exists$/,
      );
    });
  });

  it('leaves the status to the execution holding the VPC lease when rejecting outside it', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { owner: 'arn:other', acquiredAt: '2026-01-01T00:00:00Z', expiresAt: Math.floor(Date.now() / 1000) + 600 },
    });

    const result = await run('rejected', {
      event: loadEvent('tag-change-connect'),
      error: { Error: 'RejectedError', Cause: 'no-subnet: none' },
    });

    expect(result).toMatchObject({ written: false, skipped: expect.stringContaining('arn:other') });
    expect(ec2).not.toHaveReceivedCommand(CreateTagsCommand);
  });

  it('ends cleanly when the VPC is gone', async () => {
    ec2.on(CreateTagsCommand).rejects(awsError('InvalidVpcID.NotFound'));

    const result = await run('failed', { event: loadEvent('tag-change-connect'), failure: {} });

    expect(result).toMatchObject({ written: false, skipped: `${VPC} no longer exists`, error: 'StepFailedError' });
  });

  it('ends cleanly when the spoke role cannot be assumed', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied'));

    const result = await run('failed', { event: loadEvent('tag-change-connect'), failure: {} });

    expect(result).toMatchObject({ written: false, skipped: expect.stringContaining('cannot assume') });
  });

  it('lets throttling propagate so that the ASL retries it', async () => {
    ec2.on(CreateTagsCommand).rejects(awsError('RequestLimitExceeded'));

    await expect(
      run('onboarding', { event: loadEvent('tag-change-connect'), plan: examplePlan() }),
    ).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
    });
  });
});
