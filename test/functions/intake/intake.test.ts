import 'aws-sdk-client-mock-jest';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { executionName } from '#shared/events';
import { handler } from '../../../functions/intake/handler';
import { mockClientForFile } from '../../mock-client';
import { awsError, loadEvent, useExampleConfig, VPC } from '../helpers';

const sfn = mockClientForFile(SFNClient);
const dynamo = mockClientForFile(DynamoDBDocumentClient);

/**
 * The registry's intake items, in memory: the queue item an UpdateItem writes (values as set, `dueAt` and
 * `firstQueuedAt` kept), Query by `pk` (and account prefix), Put and Delete. Conditions are the dispatcher's tests'
 * concern (test/security/intake-fairness.test.ts and its scale version run the real table).
 */
function fakeRegistry() {
  const items = new Map<string, Record<string, unknown>>();
  const keyOf = (k: { pk: string; sk: string }) => `${k.pk}|${k.sk}`;
  dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const v = input.ExpressionAttributeValues ?? {};
    const old = items.get(keyOf(input.Key as { pk: string; sk: string }));
    const item = {
      ...input.Key,
      accountId: v[':account'],
      vpcId: v[':vpc'],
      workflow: v[':workflow'],
      eventId: v[':eventId'],
      event: v[':event'],
      eventTime: v[':time'],
      dueAt: old?.dueAt ?? v[':due'],
      firstQueuedAt: old?.firstQueuedAt ?? v[':now'],
      merged: Number(old?.merged ?? 0) + 1,
    };
    items.set(keyOf(input.Key as { pk: string; sk: string }), item);
    return { Attributes: item };
  });
  dynamo.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const pk = input.ExpressionAttributeValues?.[':pk'];
    const prefix = String(input.ExpressionAttributeValues?.[':account'] ?? '');
    return { Items: [...items.values()].filter((i) => i.pk === pk && String(i.sk).startsWith(prefix)) };
  });
  dynamo.on(PutCommand).callsFake((input: PutCommandInput) => {
    items.set(keyOf(input.Item as { pk: string; sk: string }), input.Item as Record<string, unknown>);
    return {};
  });
  // No pending approval for any VPC.
  dynamo.on(GetCommand).resolves({});
  dynamo.on(DeleteCommand).callsFake((input: DeleteCommandInput) => {
    items.delete(keyOf(input.Key as { pk: string; sk: string }));
    return {};
  });
}
const ONBOARD = 'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-onboard';
const OFFBOARD = 'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-offboard';

describe('Function: intake', () => {
  beforeEach(() => {
    sfn.reset();
    dynamo.reset();
    fakeRegistry();
    useExampleConfig();
    process.env.ONBOARD_STATE_MACHINE_ARN = ONBOARD;
    process.env.OFFBOARD_STATE_MACHINE_ARN = OFFBOARD;
    sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => ({
      executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));
  });

  it('starts the onboarding workflow with the raw event as input and a name made of the VPC id and event id', async () => {
    const event = loadEvent('tag-change-connect');

    const result = await handler(event);

    const name = `${VPC}-onboard-6a7e8febb491`;
    expect(result).toEqual({
      started: {
        workflow: 'onboard',
        name,
        executionArn: `${ONBOARD.replace(':stateMachine:', ':execution:')}:${name}`,
        merged: 1,
        queueDepth: 0,
      },
    });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: ONBOARD,
      name,
      input: JSON.stringify(event),
    });
  });

  it('starts the offboarding workflow when spokelink:connect is removed', async () => {
    const result = await handler(loadEvent('tag-change-disconnect'));

    expect(result).toMatchObject({ started: { workflow: 'offboard', name: `${VPC}-offboard-0f9a1c2b3d4e` } });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: OFFBOARD });
  });

  it('starts the offboarding workflow when spokelink:connect is set to false', async () => {
    const event = loadEvent('tag-change-connect');
    (event.detail as { tags: Record<string, string> }).tags['spokelink:connect'] = 'False';

    const result = await handler(event);

    expect(result).toMatchObject({ started: { workflow: 'offboard' } });
  });

  it('onboards a malformed connect value so that validation can reject it with a precise detail', async () => {
    const event = loadEvent('tag-change-connect');
    (event.detail as { tags: Record<string, string> }).tags['spokelink:connect'] = 'yes please';

    const result = await handler(event);

    expect(result).toMatchObject({ started: { workflow: 'onboard' } });
  });

  it('ignores a status-only tag change, which spokelink itself causes', async () => {
    const result = await handler(loadEvent('tag-change-status-only'));

    expect(result).toEqual({ ignored: expect.stringContaining('status-only') });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('starts one execution name for a duplicate delivery and reports the second as a duplicate', async () => {
    const event = loadEvent('tag-change-connect');
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:1', startDate: new Date() })
      .rejectsOnce(awsError('ExecutionAlreadyExists', 'Execution Already Exists'));

    const first = await handler(event);
    const second = await handler(structuredClone(event));

    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(new Set(names)).toEqual(new Set([`${VPC}-onboard-6a7e8febb491`]));
    expect(first).toMatchObject({ started: { name: `${VPC}-onboard-6a7e8febb491` } });
    expect(second).toEqual({
      duplicate: true,
      workflow: 'onboard',
      name: `${VPC}-onboard-6a7e8febb491`,
      queueDepth: 0,
    });
  });

  it.each([
    ['a wrong source', 'forged-wrong-source', 'unexpected source'],
    ['an account that does not own the VPC', 'forged-account-mismatch', 'not to the sender'],
    ['a resource that is not a VPC ARN', 'forged-malformed-arn', 'not an EC2 VPC ARN'],
    ['a region this hub does not serve', 'unserved-region', 'not served'],
  ])('ignores an event with %s without throwing or starting anything', async (_case, fixture, reason) => {
    const result = await handler(loadEvent(fixture));

    expect(result).toEqual({ ignored: expect.stringContaining(reason) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an event without detail tags', { ...loadEvent('tag-change-connect'), detail: { service: 'ec2' } }],
    ['two resources', { ...loadEvent('tag-change-connect'), resources: ['a', 'b'] }],
    ['a non-numeric account', { ...loadEvent('tag-change-connect'), account: 'root' }],
  ])('ignores %s as a malformed event', async (_case, event) => {
    await expect(handler(event)).resolves.toEqual({ ignored: expect.any(String) });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('onboards a VPC created with spokelink:connect=true (CloudTrail CreateVpc)', async () => {
    const result = await handler(loadEvent('cloudtrail-create-vpc'));

    expect(result).toMatchObject({
      started: { workflow: 'onboard', name: 'vpc-0a1b2c3d4e5f60002-onboard-7b8c9d0e1f2a' },
    });
  });

  it('ignores a VPC created without a connect request', async () => {
    const event = loadEvent('cloudtrail-create-vpc');
    const detail = event.detail as { responseElements: { vpc: { tagSet: unknown } }; requestParameters: object };
    detail.responseElements.vpc.tagSet = { items: [{ key: 'Name', value: 'x' }] };
    detail.requestParameters = {};

    const result = await handler(event);

    expect(result).toEqual({ ignored: expect.stringContaining('without a spokelink:connect') });
  });

  it('offboards a deleted VPC (CloudTrail DeleteVpc)', async () => {
    const result = await handler(loadEvent('cloudtrail-delete-vpc'));

    expect(result).toMatchObject({ started: { workflow: 'offboard', name: `${VPC}-offboard-8c9d0e1f2a3b` } });
  });

  it('revalidates a VPC whose tenant added a CIDR (CloudTrail AssociateVpcCidrBlock): an onboarding', async () => {
    const result = await handler(loadEvent('cloudtrail-associate-vpc-cidr-block'));

    expect(result).toMatchObject({ started: { workflow: 'onboard', name: `${VPC}-onboard-9a8b7c6d5e4f` } });
  });

  it('finds the VPC of a DisassociateVpcCidrBlock in its response (the request names only the association)', async () => {
    const result = await handler(loadEvent('cloudtrail-disassociate-vpc-cidr-block'));

    expect(result).toMatchObject({ started: { workflow: 'onboard', name: `${VPC}-onboard-7b6a5c4d3e2f` } });
  });

  it('ignores a CIDR event that names no valid VPC', async () => {
    const event = loadEvent('cloudtrail-disassociate-vpc-cidr-block');
    (event.detail as { responseElements: unknown }).responseElements = {
      DisassociateVpcCidrBlockResponse: { vpcId: 'sg-1' },
    };

    await expect(handler(event)).resolves.toEqual({ ignored: expect.stringContaining('without a valid vpcId') });
  });

  it('ignores a CloudTrail event for a call made in another account than the sender', async () => {
    const event = loadEvent('cloudtrail-delete-vpc');
    (event.detail as { recipientAccountId: string }).recipientAccountId = '444444444444';

    await expect(handler(event)).resolves.toEqual({ ignored: expect.stringContaining('444444444444') });
  });

  it('lets StartExecution throttling propagate so that EventBridge retries the delivery', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException'));

    await expect(handler(loadEvent('tag-change-connect'))).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('executionName', () => {
  it('stays within 80 characters of [A-Za-z0-9-] even for a non-UUID event id', () => {
    const name = executionName('vpc-0123456789abcdef0', 'offboard', 'not a uuid at all / with spaces');

    expect(name).toMatch(/^vpc-0123456789abcdef0-offboard-[0-9a-f]{12}$/);
    expect(name.length).toBeLessThanOrEqual(80);
  });
});
