import 'aws-sdk-client-mock-jest';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseLostError, VpcBusyError } from '#shared/errors';
import { handler } from '../../../functions/lease/handler';
import { isExecutionRunning } from '../../../functions/lease/lease';
import { mockClientForFile } from '../../mock-client';
import { awsError, EXECUTION_ARN, loadEvent, SPOKE, useExampleConfig, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const dynamo = mockClientForFile(DynamoDBDocumentClient);
const sfn = mockClientForFile(SFNClient);
const OTHER = EXECUTION_ARN.replace('6a7e8febb491', '000000000000');

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const LEASE_KEY = { pk: `VPC#${VPC}`, sk: 'LEASE' };
const FREE = 'attribute_not_exists(#owner) OR #expiresAt < :now';

describe('Function: lease', () => {
  beforeEach(() => {
    dynamo.reset();
    sfn.reset();
    useExampleConfig();
    dynamo.on(GetCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
  });

  /** The lease item answers: ours (renewal), free (a new holder: token + 1), or neither (condition fails). */
  function leaseTable(state: 'free' | 'held-by-other') {
    dynamo
      .on(UpdateCommand)
      .callsFake(({ Key, ConditionExpression }: { Key: { sk: string }; ConditionExpression: string }) => {
        if (Key.sk !== 'LEASE') return {};
        if (ConditionExpression === FREE && state === 'free') {
          return { Attributes: { ...LEASE_KEY, owner: EXECUTION_ARN, acquiredAt: 'now', expiresAt: 1, token: 4 } };
        }
        throw conditionFailed();
      });
  }

  it('takes the lease from the raw event with a conditional update that adds one to its token, and fences the record', async () => {
    leaseTable('free');

    const lease = await handler({
      action: 'acquire',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ARN,
    });

    expect(lease).toMatchObject({ vpcId: VPC, owner: EXECUTION_ARN, token: 4 });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: LEASE_KEY,
      ConditionExpression: FREE,
      UpdateExpression: expect.stringContaining('ADD #token :one'),
    });
    // The new token is stamped on the record: writes of earlier holders are refused from now on.
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: `VPC#${VPC}`, sk: 'CURRENT' },
      ExpressionAttributeValues: { ':token': 4 },
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('throws VpcBusyError while another running execution holds the lease', async () => {
    leaseTable('held-by-other');
    dynamo.on(GetCommand, { Key: LEASE_KEY }).resolves({
      Item: { owner: OTHER, acquiredAt: new Date().toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 600 },
    });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

    const error = await handler({
      action: 'acquire',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ARN,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VpcBusyError);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: OTHER });
  });

  it("begins the onboarding under the plan's lease: renews it, claims the CIDRs, writes the record with the token", async () => {
    const plan = { ...examplePlan(), fence: { vpcId: VPC, owner: EXECUTION_ARN, token: 4 } };
    // The hub TGW's attachment slots: one other VPC holds one.
    dynamo
      .on(GetCommand, { Key: { pk: `TGW#${plan.transitGatewayId}`, sk: 'ATTACHMENTS' } })
      .resolves({ Item: { members: { 'vpc-0e000000000000099': { accountId: SPOKE } }, accounts: { [SPOKE]: 1 } } });

    const result = await handler({ action: 'begin', plan, executionArn: EXECUTION_ARN });

    expect(result).toEqual({ claimedBuckets: ['10.1'] });
    // The VPC's attachment slot, conditioned on the room the TGW and its account have left.
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: `TGW#${plan.transitGatewayId}`, sk: 'ATTACHMENTS' },
      ConditionExpression:
        'attribute_not_exists(#m.#v0) AND size(#m) < :free AND (attribute_not_exists(#c.#a0) OR #c.#a0 < :budget)',
      ExpressionAttributeNames: expect.objectContaining({ '#m': 'members', '#v0': plan.vpcId, '#a0': SPOKE }),
      ExpressionAttributeValues: expect.objectContaining({
        ':m0': { accountId: SPOKE, leaseToken: 4 },
        ':free': 4_999,
        ':budget': 100,
      }),
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: LEASE_KEY,
      ConditionExpression: '#owner = :me AND #token = :token',
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        pk: 'CIDR#10.1',
        claims: { [VPC]: { cidrs: ['10.1.0.0/16'], accountId: SPOKE, leaseToken: 4 } },
      }),
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        sk: 'CURRENT',
        status: 'onboarding',
        leaseToken: 4,
        executions: [EXECUTION_ARN],
      }),
      ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(#fence) OR #fence <= :fence)',
    });
  });

  it('begins nothing once the lease was taken over (LeaseLostError): no claim, no record', async () => {
    leaseTable('held-by-other');
    const plan = { ...examplePlan(), fence: { vpcId: VPC, owner: EXECUTION_ARN, token: 4 } };

    const error = await handler({ action: 'begin', plan, executionArn: EXECUTION_ARN }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LeaseLostError);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('releases only its own lease, from the raw event, keeping the item (and its token)', async () => {
    const result = await handler({
      action: 'release',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ARN,
    });

    expect(result).toEqual({ released: true });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: LEASE_KEY,
      UpdateExpression: 'REMOVE #owner SET #expiresAt = :zero',
      ConditionExpression: '#owner = :me',
      ExpressionAttributeValues: { ':me': EXECUTION_ARN, ':zero': 0 },
    });
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('reports a lease held by someone else as not released, without failing', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());

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
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
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
