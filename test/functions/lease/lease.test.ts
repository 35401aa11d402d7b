import 'aws-sdk-client-mock-jest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { VpcBusyError } from '#shared/errors';
import { handler } from '../../../functions/lease/handler';
import { isExecutionRunning } from '../../../functions/lease/lease';
import { awsError, EXECUTION_ARN, loadEvent, SPOKE, useExampleConfig, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const OTHER = EXECUTION_ARN.replace('6a7e8febb491', '000000000000');

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('Function: lease', () => {
  beforeEach(() => {
    dynamo.reset();
    sfn.reset();
    useExampleConfig();
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
  });

  it('acquires the lease with a conditional write, claims the CIDRs and starts the registry record', async () => {
    const plan = examplePlan();

    const lease = await handler({ action: 'acquire', plan, executionArn: EXECUTION_ARN });

    expect(lease).toMatchObject({ vpcId: VPC, owner: EXECUTION_ARN, claimedBuckets: ['10.1'] });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: `VPC#${VPC}`, sk: 'LEASE', owner: EXECUTION_ARN }),
      ConditionExpression: 'attribute_not_exists(pk) OR #owner = :me OR #expiresAt < :now',
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'CIDR#10.1',
        version: 1,
        claims: { [VPC]: { cidrs: ['10.1.0.0/16'], accountId: SPOKE } },
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: `VPC#${VPC}`,
        sk: 'CURRENT',
        status: 'onboarding',
        executions: [EXECUTION_ARN],
      }),
    });
  });

  it('throws VpcBusyError while another running execution holds the lease', async () => {
    dynamo.on(PutCommand).callsFake(({ Item }: { Item: { sk: string } }) => {
      if (Item.sk === 'LEASE') throw conditionFailed();
      return {};
    });
    dynamo.on(GetCommand, { Key: { pk: `VPC#${VPC}`, sk: 'LEASE' } }).resolves({
      Item: { owner: OTHER, acquiredAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 600 },
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const error = await handler({ action: 'acquire', plan: examplePlan(), executionArn: EXECUTION_ARN }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(VpcBusyError);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: OTHER });
    expect(dynamo).not.toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'CURRENT' }) });
  });

  it('takes the lease alone for a workflow without a plan (offboarding): no claims, no record', async () => {
    const lease = await handler({
      action: 'acquire-lease-only',
      event: loadEvent('tag-change-disconnect'),
      executionArn: EXECUTION_ARN,
    });

    expect(lease).toMatchObject({ vpcId: VPC, owner: EXECUTION_ARN });
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ sk: 'LEASE' }) });
  });

  it('releases only its own lease, from the raw event', async () => {
    dynamo.on(DeleteCommand).resolves({});

    const result = await handler({
      action: 'release',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ARN,
    });

    expect(result).toEqual({ released: true });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: `VPC#${VPC}`, sk: 'LEASE' },
      ConditionExpression: '#attribute = :value',
      ExpressionAttributeNames: { '#attribute': 'owner' },
      ExpressionAttributeValues: { ':value': EXECUTION_ARN },
    });
  });

  it('reports a lease held by someone else as not released, without failing', async () => {
    dynamo.on(DeleteCommand).rejects(conditionFailed());

    const result = await handler({
      action: 'release',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ARN,
    });

    expect(result).toEqual({ released: false });
  });

  it('has nothing to release for an event it cannot parse', async () => {
    const result = await handler({ action: 'release', event: { nonsense: true }, executionArn: EXECUTION_ARN });

    expect(result).toEqual({ released: false });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });
});

describe('isExecutionRunning', () => {
  beforeEach(() => sfn.reset());

  it.each([
    ['RUNNING', true],
    ['SUCCEEDED', false],
    ['ABORTED', false],
    ['TIMED_OUT', false],
  ] as const)('treats an execution %s as running: %s', async (status, expected) => {
    sfn.on(DescribeExecutionCommand).resolves({ status });

    await expect(isExecutionRunning(new SFNClient({}), OTHER)).resolves.toBe(expected);
  });

  it('treats an execution that does not exist as not running', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist'));

    await expect(isExecutionRunning(new SFNClient({}), OTHER)).resolves.toBe(false);
  });

  it('assumes an execution runs when Step Functions cannot say (waiting is safer than interleaving)', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('ThrottlingException'));

    await expect(isExecutionRunning(new SFNClient({}), OTHER)).resolves.toBe(true);
  });
});
