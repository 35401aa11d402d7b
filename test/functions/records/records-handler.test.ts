import 'aws-sdk-client-mock-jest';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../functions/records/handler';
import { mockClientForFile } from '../../mock-client';
import { EXECUTION_ARN, loadEvent, SPOKE, useExampleConfig, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const dynamo = mockClientForFile(DynamoDBDocumentClient);

function record(executions: string[], extra: Record<string, unknown> = {}) {
  return {
    pk: `VPC#${VPC}`,
    sk: 'CURRENT',
    kind: 'current',
    vpcId: VPC,
    accountId: SPOKE,
    region: 'us-east-1',
    segment: 'nonprod',
    services: ['ssm', 'sts'],
    cidrs: ['10.1.0.0/16'],
    attachmentId: 'tgw-attach-0000000000000001',
    attachmentSubnetIds: [],
    routes: [],
    zones: [],
    securityGroupRules: [],
    endpointServicePrincipals: [],
    status: 'onboarding',
    createdAt: '2026-11-27T12:00:00.000Z',
    updatedAt: '2026-11-27T12:00:00.000Z',
    executions,
    ...extra,
  };
}

/** The attribute values an UpdateCommand set, by attribute name. */
function updatedValues(): Record<string, unknown> {
  const input = dynamo.commandCalls(UpdateCommand)[0]!.args[0].input;
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  return Object.fromEntries(Object.entries(names).map(([alias, name]) => [name, values[alias.replace('#a', ':v')]]));
}

describe('Function: registry', () => {
  beforeEach(() => {
    dynamo.reset();
    useExampleConfig();
    dynamo.on(UpdateCommand).resolves({});
  });

  it('RecordConsumer marks the record connected once and returns the status summary', async () => {
    dynamo.on(GetCommand).resolves({ Item: record([EXECUTION_ARN]) });

    const result = await handler({
      action: 'connected',
      executionArn: EXECUTION_ARN,
      plan: examplePlan(),
    });

    expect(result).toEqual({
      status: 'connected',
      summary: expect.stringContaining('via tgw-attach-0000000000000001'),
    });
    expect(updatedValues()).toMatchObject({
      status: 'connected',
      connectedAt: expect.any(String),
      executions: [EXECUTION_ARN],
    });
  });

  it('RecordConsumer keeps the first connectedAt of the membership on a re-run', async () => {
    dynamo.on(GetCommand).resolves({ Item: record(['arn:first'], { connectedAt: '2026-01-01T00:00:00.000Z' }) });

    await handler({
      action: 'connected',
      executionArn: EXECUTION_ARN,
      plan: examplePlan(),
    });

    expect(updatedValues()).toMatchObject({
      connectedAt: '2026-01-01T00:00:00.000Z',
      executions: ['arn:first', EXECUTION_ARN],
    });
  });

  it('RecordFailure marks the record this execution began as failed and names the step', async () => {
    dynamo.on(GetCommand).resolves({ Item: record([EXECUTION_ARN]) });

    const result = await handler({
      action: 'failure',
      executionArn: EXECUTION_ARN,
      event: loadEvent('tag-change-connect'),
      lease: null,
      failure: {},
      branches: [{}, { failed: { AssociateZones: { Error: 'ConflictError', Cause: 'zone ssm.x conflicts' } } }, {}],
    });

    expect(result).toMatchObject({ recorded: true, step: 'AssociateZones', error: 'ConflictError' });
    expect(updatedValues()).toMatchObject({ status: 'failed' });
  });

  it('RecordFailure leaves alone a record it did not begin (failure before AcquireLease)', async () => {
    dynamo.on(GetCommand).resolves({ Item: record(['arn:someone-else'], { status: 'connected' }) });

    const result = await handler({
      action: 'failure',
      executionArn: EXECUTION_ARN,
      event: loadEvent('tag-change-connect'),
      lease: null,
      failure: { ValidateAndPlan: { Error: 'Boom', Cause: 'x' } },
    });

    expect(result).toMatchObject({ recorded: false, step: 'ValidateAndPlan' });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });
});
