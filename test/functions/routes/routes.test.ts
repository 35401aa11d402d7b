import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRouteCommand, DescribeRouteTablesCommand, EC2Client, type RouteTable } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, QuotaExceededError } from '#shared/errors';
import { createSpokeRoutes, type RoutesDeps } from '../../../functions/routes/routes';
import { mockClientForFile } from '../../mock-client';
import { awsError, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const spokeEc2 = new EC2Client({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ec2 = mockClientForFile(spokeEc2);
const dynamo = mockClientForFile(documents);
const TGW = 'tgw-0a1b2c3d4e5f60718';
const MAIN = 'rtb-00000000000000main';
const PRIV = 'rtb-0000000000000priv';

let deps: RoutesDeps;

function tables(routes: Record<string, RouteTable['Routes']>): { RouteTables: RouteTable[] } {
  return { RouteTables: Object.entries(routes).map(([RouteTableId, Routes]) => ({ RouteTableId, Routes })) };
}

const LOCAL = { DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable' as const };

/** The routes list the registry was last given. */
function recordedRoutes(): unknown {
  const calls = dynamo.commandCalls(UpdateCommand);
  const input = calls[calls.length - 1]!.args[0].input;
  return input.ExpressionAttributeValues?.[':v0'];
}

describe('Function: routes', () => {
  beforeEach(() => {
    ec2.reset();
    dynamo.reset();
    deps = {
      spokeEc2: async () => spokeEc2,
      registry: { dynamo: documents, tableName: 'spokelink-registry' },
      now: () => Date.now(),
    };
    dynamo.on(GetCommand).resolves({ Item: { vpcId: VPC, routes: [] } });
    dynamo.on(UpdateCommand).resolves({});
    ec2.on(CreateRouteCommand).resolves({ Return: true });
  });

  it('creates a route to each destination through the TGW in every route table of the plan', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(tables({ [MAIN]: [LOCAL], [PRIV]: [LOCAL] }));

    const result = await createSpokeRoutes(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandTimes(CreateRouteCommand, 2);
    for (const table of [MAIN, PRIV]) {
      expect(ec2).toHaveReceivedCommandWith(CreateRouteCommand, {
        RouteTableId: table,
        DestinationCidrBlock: '10.0.0.0/16',
        TransitGatewayId: TGW,
      });
    }
    expect(result.created).toHaveLength(2);
    expect(recordedRoutes()).toEqual([
      { routeTableId: MAIN, destinationCidr: '10.0.0.0/16' },
      { routeTableId: PRIV, destinationCidr: '10.0.0.0/16' },
    ]);
  });

  it('keeps a route that already goes to this TGW and creates nothing for it', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(
      tables({
        [MAIN]: [LOCAL, { DestinationCidrBlock: '10.0.0.0/16', TransitGatewayId: TGW, Origin: 'CreateRoute' }],
        [PRIV]: [LOCAL, { DestinationCidrBlock: '10.0.0.0/16', TransitGatewayId: TGW, Origin: 'CreateRoute' }],
      }),
    );

    const result = await createSpokeRoutes(examplePlan(), deps);

    expect(ec2).not.toHaveReceivedCommand(CreateRouteCommand);
    expect(result.existing).toHaveLength(2);
  });

  it('never overwrites a route that points elsewhere: ConflictError naming the table and CIDR, nothing created', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(
      tables({
        [MAIN]: [LOCAL],
        [PRIV]: [
          LOCAL,
          { DestinationCidrBlock: '10.0.0.0/16', VpcPeeringConnectionId: 'pcx-0123', Origin: 'CreateRoute' },
        ],
      }),
    );

    const error = await createSpokeRoutes(examplePlan(), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain(`${PRIV} routes 10.0.0.0/16 to pcx-0123`);
    expect(ec2).not.toHaveReceivedCommand(CreateRouteCommand);
  });

  it('does not count a route propagated from a virtual private gateway as a conflict', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(
      tables({
        [MAIN]: [
          LOCAL,
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'vgw-1', Origin: 'EnableVgwRoutePropagation' },
        ],
        [PRIV]: [LOCAL],
      }),
    );

    await createSpokeRoutes(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandWith(CreateRouteCommand, { RouteTableId: MAIN });
  });

  it('accepts RouteAlreadyExists when the route turns out to go to the TGW (a retried invocation)', async () => {
    ec2
      .on(DescribeRouteTablesCommand)
      .resolvesOnce(tables({ [MAIN]: [LOCAL], [PRIV]: [LOCAL] }))
      .resolves(tables({ [MAIN]: [LOCAL, { DestinationCidrBlock: '10.0.0.0/16', TransitGatewayId: TGW }] }));
    ec2.on(CreateRouteCommand, { RouteTableId: MAIN }).rejects(awsError('RouteAlreadyExists'));

    const result = await createSpokeRoutes(examplePlan(), deps);

    expect(result.existing).toEqual([{ routeTableId: MAIN, destinationCidr: '10.0.0.0/16' }]);
    expect(result.created).toEqual([{ routeTableId: PRIV, destinationCidr: '10.0.0.0/16' }]);
  });

  it('reports RouteAlreadyExists pointing elsewhere as a conflict, after recording what it created', async () => {
    ec2
      .on(DescribeRouteTablesCommand)
      .resolvesOnce(tables({ [MAIN]: [LOCAL], [PRIV]: [LOCAL] }))
      .resolves(tables({ [PRIV]: [LOCAL, { DestinationCidrBlock: '10.0.0.0/16', NatGatewayId: 'nat-1' }] }));
    ec2.on(CreateRouteCommand, { RouteTableId: PRIV }).rejects(awsError('RouteAlreadyExists'));

    await expect(createSpokeRoutes(examplePlan(), deps)).rejects.toThrow(`${PRIV} routes 10.0.0.0/16 to nat-1`);
    expect(recordedRoutes()).toEqual([{ routeTableId: MAIN, destinationCidr: '10.0.0.0/16' }]);
  });

  it('reports a full route table as QuotaExceededError', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves(tables({ [MAIN]: [LOCAL], [PRIV]: [LOCAL] }));
    ec2.on(CreateRouteCommand).rejects(awsError('RouteLimitExceeded'));

    await expect(createSpokeRoutes(examplePlan(), deps)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('lets throttling propagate for the ASL to retry', async () => {
    ec2.on(DescribeRouteTablesCommand).rejects(awsError('RequestLimitExceeded'));

    await expect(createSpokeRoutes(examplePlan(), deps)).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});
