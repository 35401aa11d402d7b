import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AcceptVpcEndpointConnectionsCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateSubnetCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcsCommand,
  DisassociateTransitGatewayRouteTableCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
  GetTransitGatewayAttachmentPropagationsCommand,
  GetTransitGatewayRouteTableAssociationsCommand,
  GetTransitGatewayRouteTablePropagationsCommand,
} from '@aws-sdk/client-ec2';
import { ListHostedZonesByVPCCommand } from '@aws-sdk/client-route-53';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { workflowSubstitutions } from '#local/hub';
import { type LambdaHandler, LocalLambdas } from '#local/lambda';
import { type ExecutionRecord, LocalStepFunctions } from '#local/sfn';
import { PlanSchema } from '#shared/plan';
import type { ConsumerRecord } from '#shared/registry/model';
import { Twin } from '#twin/twin';
import { type Clients, MOTO_ACCOUNT, motoTarget, REGION } from './harness/compare';
import { type MotoServer, startMoto } from './harness/moto';
import { HandlerRunner, successPathTasks, tagChangeEvent, useMotoForHandlers } from './onboarding/run';
import {
  EXTERNAL_ID,
  FUNCTIONS_CREDENTIALS,
  HUB_DESTINATION,
  type MotoScenario,
  SPOKE_CIDR,
  SPOKE_ROLE,
  SPOKE_SERVICES,
  seedSameAccountScenario,
  TABLE_NAME,
} from './onboarding/seed';

/**
 * Same-account onboarding (hub and spoke VPC in moto's one account, 123456789012) against moto: the real onboarding
 * ASL on aws-local-stepfunctions, its Task states bound to the real handlers as the local runner binds them
 * (local/lambda.ts, local/sfn.ts), every SDK client of the handlers pointed at moto by AWS_ENDPOINT_URL, the registry
 * on moto's DynamoDB (table created from local/registry-table.ts).
 *
 * What moto (5.x) lacks or does differently, and how this test handles it (nothing is stubbed; each is pinned below, so
 * a moto that changes shows up as a failing pin):
 * - The Transit Gateway's default route table: with default association and propagation disabled AWS creates none;
 *   moto creates one, associates every new attachment with it, keeps reporting that association in
 *   DescribeTransitGatewayAttachments after another, and answers 500 to disassociating it. It also has no
 *   GetTransitGatewayAttachmentPropagations. So AssociateAndPropagate's handler runs and fails on moto (it moves the
 *   attachment off the reported table first). The test then makes, explicitly, the two calls the step makes on AWS
 *   for a new attachment of such a TGW (AssociateTransitGatewayRouteTable to the segment's table,
 *   EnableTransitGatewayRouteTablePropagation for each planned table) and the run continues with their outcome.
 * - DescribeVpcEndpointConnections and AcceptVpcEndpointConnections are not implemented: the scenario's endpoint
 *   service has `acceptConnections: false`, so RegisterConsumer allows the principal without accepting connections
 *   (there are none in a same-account scenario anyway). The pin below shows the accepting case cannot run on moto.
 * - AcceptTransitGatewayVpcAttachment and CreateVPCAssociationAuthorization are not implemented either; the
 *   same-account path needs neither (no pendingAcceptance, no cross-account zone authorization).
 * - WaitForConnectivity: moto reports its default table's association, so the real check answers
 *   ConnectivityPendingError naming exactly that (it reads the hub's routes only once the association is in effect,
 *   and moto would return no route from SearchTransitGatewayRoutes either); the test pins that message (anything else
 *   pending fails the run) and lets the run continue.
 * - moto's TGW attachments are `available` as soon as created (no `pending`): the wait and its polling are not
 *   exercised here (the twin's workflow tests cover them).
 * - moto's AssumeRole neither requires the role nor evaluates its trust or external id: the spoke role is created (as
 *   the spoke stack would), but the trust cannot be tested on moto.
 * - moto's hosted zone ids do not always start with Z as AWS's do (the configuration requires it): the seed draws
 *   zones until moto assigns such an id.
 */

const ROOT = join(__dirname, '..');

/** The moto gaps of the workflow, pinned: each answers HTTP 500 (moto: "not implemented"). */
const MOTO_GAPS = [
  'GetTransitGatewayAttachmentPropagations',
  'DescribeVpcEndpointConnections',
  'AcceptVpcEndpointConnections',
] as const;

interface HttpError {
  $metadata?: { httpStatusCode?: number };
}
const statusOf = (error: unknown) => (error as HttpError).$metadata?.httpStatusCode;

/** Calls made by the test itself where moto lacks what a step needs (see the file comment). */
interface ExplicitCalls {
  state: string;
  calls: string[];
}

/**
 * The transit-gateway handler, as deployed. For `associate` on moto the handler cannot succeed (moto associates every
 * new attachment with a default route table it should not have created, reports that association even after another,
 * answers 500 to disassociating it, and has no GetTransitGatewayAttachmentPropagations): when it fails with a moto 500,
 * the test makes, explicitly, the two calls the step makes on AWS for a new attachment of a TGW whose default
 * association and propagation are disabled: associate with the segment's table, enable each planned propagation.
 */
function transitGatewayHandlerOnMoto(endpoint: string, explicit: ExplicitCalls[]): LambdaHandler {
  const real = (require(join(ROOT, 'functions/transit-gateway/handler.ts')) as { handler: LambdaHandler }).handler;
  return async (event, context) => {
    try {
      return await real(event, context);
    } catch (error) {
      const input = event as { action?: string; plan?: unknown; attachmentId?: string };
      if (input.action === 'confirm' && (error as Error).name === 'ConnectivityPendingError') {
        // What moto reports as not in effect (pinned by the test below), and only that, is let through.
        explicit.push({ state: 'WaitForConnectivity', calls: [(error as Error).message] });
        return { confirmed: [] };
      }
      if (input.action !== 'associate' || statusOf(error) !== 500) throw error;
      const plan = PlanSchema.parse(input.plan);
      const ec2 = new EC2Client({ region: REGION, endpoint, credentials: FUNCTIONS_CREDENTIALS, maxAttempts: 1 });
      const calls: string[] = [];
      await ec2.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: plan.associationRouteTableId,
          TransitGatewayAttachmentId: input.attachmentId,
        }),
      );
      calls.push(`AssociateTransitGatewayRouteTable ${plan.associationRouteTableId}`);
      for (const tableId of plan.propagationRouteTableIds) {
        await ec2.send(
          new EnableTransitGatewayRouteTablePropagationCommand({
            TransitGatewayRouteTableId: tableId,
            TransitGatewayAttachmentId: input.attachmentId,
          }),
        );
        calls.push(`EnableTransitGatewayRouteTablePropagation ${tableId}`);
      }
      explicit.push({ state: 'AssociateAndPropagate', calls });
      return {
        attachmentId: input.attachmentId,
        associationRouteTableId: plan.associationRouteTableId,
        propagationRouteTableIds: plan.propagationRouteTableIds,
        changes: calls,
        // No static route made here: WaitForConnectivity searches the routes (AssociationResult.routesActive).
        routesActive: false,
      };
    }
  };
}

describe('moto: same-account onboarding through the real ASL and handlers', () => {
  let server: MotoServer;
  let scenario: MotoScenario;
  let clients: Clients;
  let restore: (() => void) | undefined;
  let lambdas: LocalLambdas;
  let sfn: LocalStepFunctions;
  let execution: ExecutionRecord;
  const explicit: ExplicitCalls[] = [];

  beforeAll(async () => {
    server = await startMoto();
    scenario = await seedSameAccountScenario(server.endpoint);
    clients = motoTarget(server.endpoint).clients;
    restore = useMotoForHandlers(server.endpoint, scenario.config);

    lambdas = new LocalLambdas({
      region: REGION,
      accountId: MOTO_ACCOUNT,
      loadHandler: (name) =>
        name === 'transit-gateway'
          ? transitGatewayHandlerOnMoto(server.endpoint, explicit)
          : (require(join(ROOT, 'functions', name, 'handler.ts')) as { handler: LambdaHandler }).handler,
    });
    // Step Functions' own API (DescribeExecution for a lease holder) stays local: a twin with only the SFN service.
    sfn = new LocalStepFunctions({
      twin: new Twin({ services: [] }),
      lambdas,
      region: REGION,
      accountId: MOTO_ACCOUNT,
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/spokelink-statemachine`,
    });
    sfn.attach();
    const statemachines = join(ROOT, 'statemachines');
    sfn.registerDirectory(
      statemachines,
      'spokelink',
      workflowSubstitutions(statemachines, {
        functionArn: (name) => lambdas.arnOf(name),
        stateMachineArn: (id) => sfn.arnOf(`spokelink-${id}`),
        ApprovalTopicArn: `arn:aws:sns:${REGION}:${MOTO_ACCOUNT}:spokelink-approvals`,
        FailureTopicArn: `arn:aws:sns:${REGION}:${MOTO_ACCOUNT}:spokelink-failures`,
        RegistryTableName: TABLE_NAME,
      }),
    );
    const { vpcId } = scenario.spoke;
    const event = tagChangeEvent(
      vpcId,
      { 'spokelink:connect': 'true', 'spokelink:segment': 'prod', 'spokelink:services': SPOKE_SERVICES },
      '5e0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    );
    execution = sfn.start(sfn.arnOf('spokelink-onboard'), `${vpcId}-onboard-5e0c1a2b3c4d`, JSON.stringify(event));
    await execution.done;
  });

  afterAll(async () => {
    restore?.();
    await server?.stop();
  });

  const vpcTags = async () => {
    const { Vpcs = [] } = await clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [scenario.spoke.vpcId] }));
    return Object.fromEntries((Vpcs[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
  };
  const registryItems = async () => {
    const dynamo = new DynamoDBClient({
      region: REGION,
      endpoint: server.endpoint,
      credentials: FUNCTIONS_CREDENTIALS,
      maxAttempts: 1,
    });
    const { Items = [] } = await DynamoDBDocumentClient.from(dynamo).send(new ScanCommand({ TableName: TABLE_NAME }));
    dynamo.destroy();
    return Items;
  };

  it('ends in Connected, the VPC tagged connected by the execution', async () => {
    expect({ status: execution.status, error: execution.error, cause: execution.cause }).toEqual({
      status: 'SUCCEEDED',
      error: undefined,
      cause: undefined,
    });
    expect(await vpcTags()).toMatchObject({
      'spokelink:status': 'connected',
      'spokelink:detail': expect.stringMatching(
        /^connected to segment prod via tgw-attach-[0-9a-f]+; services payments,ssm,sts;/,
      ),
      'spokelink:execution': execution.name,
    });
  });

  it("ran every Task of the ASL's success path through the handlers, only AssociateAndPropagate and WaitForConnectivity meeting moto's gaps", () => {
    const ran = lambdas.invocations.map((i) => i.state);
    expect(new Set(ran)).toEqual(new Set(successPathTasks()));
    const failed = lambdas.invocations.filter((i) => i.outcome !== 'succeeded');
    expect(failed).toEqual([]);
    expect(explicit).toEqual([
      {
        state: 'AssociateAndPropagate',
        calls: [
          `AssociateTransitGatewayRouteTable ${scenario.tables.prod}`,
          `EnableTransitGatewayRouteTablePropagation ${scenario.tables.shared}`,
        ],
      },
      {
        // moto keeps reporting its default table's association (pinned below), so the check stops there (the hub's
        // routes are searched only once the association is in effect); the spoke routes are active and the zone
        // change INSYNC on moto as on AWS.
        state: 'WaitForConnectivity',
        calls: [
          expect.stringMatching(
            new RegExp(`^not in effect yet: association of tgw-attach-\\w+ with ${scenario.tables.prod} is absent$`),
          ),
        ],
      },
    ]);
  });

  it("creates one attachment (moto: available at once), associated with the segment's table and propagated to its list", async () => {
    const { TransitGatewayAttachments = [] } = await clients.ec2.send(
      new DescribeTransitGatewayAttachmentsCommand({
        Filters: [{ Name: 'resource-id', Values: [scenario.spoke.vpcId] }],
      }),
    );
    expect(TransitGatewayAttachments.map((a) => a.State)).toEqual(['available']);
    const attachmentId = TransitGatewayAttachments[0]!.TransitGatewayAttachmentId;
    const linked = async (tableId: string) => {
      const [associations, propagations] = await Promise.all([
        clients.ec2.send(new GetTransitGatewayRouteTableAssociationsCommand({ TransitGatewayRouteTableId: tableId })),
        clients.ec2.send(new GetTransitGatewayRouteTablePropagationsCommand({ TransitGatewayRouteTableId: tableId })),
      ]);
      return {
        associated: (associations.Associations ?? []).some((a) => a.TransitGatewayAttachmentId === attachmentId),
        propagated: (propagations.TransitGatewayRouteTablePropagations ?? []).some(
          (p) => p.TransitGatewayAttachmentId === attachmentId,
        ),
      };
    };
    expect(await linked(scenario.tables.prod)).toEqual({ associated: true, propagated: false });
    expect(await linked(scenario.tables.shared)).toEqual({ associated: false, propagated: true });
  });

  it("routes the hub destination through the TGW in every route table of the VPC's subnets", async () => {
    const { privateRouteTableId, mainRouteTableId } = scenario.spoke;
    const { RouteTables = [] } = await clients.ec2.send(
      new DescribeRouteTablesCommand({ RouteTableIds: [privateRouteTableId, mainRouteTableId] }),
    );
    expect(RouteTables).toHaveLength(2);
    for (const table of RouteTables) {
      const toHub = (table.Routes ?? []).filter((r) => r.DestinationCidrBlock === HUB_DESTINATION);
      expect({ table: table.RouteTableId, toHub: toHub.map((r) => r.TransitGatewayId) }).toEqual({
        table: table.RouteTableId,
        toHub: [scenario.transitGatewayId],
      });
    }
  });

  it("associates the VPC with both services' private hosted zones (same account: no authorization)", async () => {
    const { HostedZoneSummaries = [] } = await clients.route53.send(
      new ListHostedZonesByVPCCommand({ VPCId: scenario.spoke.vpcId, VPCRegion: REGION }),
    );
    expect(HostedZoneSummaries.map((z) => z.HostedZoneId?.replace('/hostedzone/', '')).sort()).toEqual(
      [scenario.zones.ssm, scenario.zones.sts].sort(),
    );
  });

  it('admits the spoke CIDR on port 443 of both endpoint security groups, described with the VPC', async () => {
    for (const groupId of [scenario.securityGroups.ssm, scenario.securityGroups.sts]) {
      const { SecurityGroupRules = [] } = await clients.ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      );
      const ingress = SecurityGroupRules.filter((r) => !r.IsEgress).map((r) => ({
        IpProtocol: r.IpProtocol,
        FromPort: r.FromPort,
        ToPort: r.ToPort,
        CidrIpv4: r.CidrIpv4,
        Description: r.Description,
      }));
      expect({ groupId, ingress }).toEqual({
        groupId,
        ingress: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            CidrIpv4: SPOKE_CIDR,
            Description: `spokelink ${scenario.spoke.vpcId} ${MOTO_ACCOUNT}`,
          },
        ],
      });
    }
  });

  it("allows the account's root principal on the endpoint service", async () => {
    const { AllowedPrincipals = [] } = await clients.ec2.send(
      new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: scenario.serviceId }),
    );
    expect(AllowedPrincipals.map((p) => p.Principal)).toEqual([`arn:aws:iam::${MOTO_ACCOUNT}:root`]);
  });

  it("records the VPC in moto's DynamoDB with what was created, releases the lease (keeping its token), keeps the CIDR claim", async () => {
    const items = await registryItems();
    const record = items.find((i) => i.pk === `VPC#${scenario.spoke.vpcId}` && i.sk === 'CURRENT') as
      | ConsumerRecord
      | undefined;
    const { TransitGatewayAttachments = [] } = await clients.ec2.send(
      new DescribeTransitGatewayAttachmentsCommand({
        Filters: [{ Name: 'resource-id', Values: [scenario.spoke.vpcId] }],
      }),
    );
    expect(record).toMatchObject({
      vpcId: scenario.spoke.vpcId,
      accountId: MOTO_ACCOUNT,
      segment: 'prod',
      services: ['payments', 'ssm', 'sts'],
      cidrs: [SPOKE_CIDR],
      status: 'connected',
      attachmentId: TransitGatewayAttachments[0]?.TransitGatewayAttachmentId,
      executions: [execution.executionArn],
      endpointServicePrincipals: [{ serviceId: scenario.serviceId, principal: `arn:aws:iam::${MOTO_ACCOUNT}:root` }],
    });
    expect(record!.routes.map((r) => r.routeTableId).sort()).toEqual(
      [scenario.spoke.privateRouteTableId, scenario.spoke.mainRouteTableId].sort(),
    );
    expect(record!.zones.map((z) => z.zoneId).sort()).toEqual([scenario.zones.ssm, scenario.zones.sts].sort());
    expect(record!.securityGroupRules.map((r) => r.ruleId)).toEqual([expect.any(String), expect.any(String)]);
    // Released: the item stays without owner (it keeps the lease token counting), stamped on the record.
    expect(items.filter((i) => i.sk === 'LEASE')).toEqual([expect.objectContaining({ expiresAt: 0, token: 1 })]);
    expect(items.filter((i) => i.sk === 'LEASE' && i.owner !== undefined)).toEqual([]);
    expect(items.find((i) => i.sk === 'CURRENT')).toMatchObject({ leaseToken: 1 });
    expect(items.find((i) => i.pk === 'CIDR#10.1')).toMatchObject({
      claims: { [scenario.spoke.vpcId]: { cidrs: [SPOKE_CIDR], accountId: MOTO_ACCOUNT } },
    });
  });

  it('pins the calls moto lacks: each answers HTTP 500', async () => {
    const ec2 = new EC2Client({
      region: REGION,
      endpoint: server.endpoint,
      credentials: FUNCTIONS_CREDENTIALS,
      maxAttempts: 1,
    });
    const calls: Record<(typeof MOTO_GAPS)[number], () => Promise<unknown>> = {
      GetTransitGatewayAttachmentPropagations: () =>
        ec2.send(new GetTransitGatewayAttachmentPropagationsCommand({ TransitGatewayAttachmentId: 'tgw-attach-0' })),
      DescribeVpcEndpointConnections: () => ec2.send(new DescribeVpcEndpointConnectionsCommand({})),
      AcceptVpcEndpointConnections: () =>
        ec2.send(
          new AcceptVpcEndpointConnectionsCommand({ ServiceId: scenario.serviceId, VpcEndpointIds: ['vpce-0'] }),
        ),
    };
    for (const gap of MOTO_GAPS) {
      const status = await calls[gap]().then(
        () => 'answered',
        (error: unknown) => statusOf(error),
      );
      expect({ gap, status }).toEqual({ gap, status: 500 });
    }
    ec2.destroy();
  });

  it("pins moto's default TGW route table: why AssociateAndPropagate's handler cannot succeed on moto", async () => {
    const { TransitGatewayAttachments = [] } = await clients.ec2.send(
      new DescribeTransitGatewayAttachmentsCommand({
        Filters: [{ Name: 'resource-id', Values: [scenario.spoke.vpcId] }],
      }),
    );
    // AWS: no default table when default association and propagation are disabled; moto made one, associated the
    // attachment with it, and still reports that association after the segment's.
    const reported = TransitGatewayAttachments[0]?.Association?.TransitGatewayRouteTableId;
    expect(reported).toEqual(expect.stringMatching(/^tgw-rtb-/));
    expect([scenario.tables.prod, scenario.tables.shared]).not.toContain(reported);

    // What the handler meets on a new attachment: it moves it off that table, and moto answers 500.
    const { Vpc } = await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const { Subnet } = await clients.ec2.send(
      new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.9.0.0/24', AvailabilityZone: `${REGION}a` }),
    );
    const { TransitGatewayVpcAttachment } = await clients.ec2.send(
      new CreateTransitGatewayVpcAttachmentCommand({
        TransitGatewayId: scenario.transitGatewayId,
        VpcId: Vpc?.VpcId,
        SubnetIds: [Subnet?.SubnetId ?? ''],
      }),
    );
    const status = await clients.ec2
      .send(
        new DisassociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: reported,
          TransitGatewayAttachmentId: TransitGatewayVpcAttachment?.TransitGatewayAttachmentId,
        }),
      )
      .then(
        () => 'answered',
        (error: unknown) => statusOf(error),
      );
    expect(status).toBe(500);
  });

  it('shows RegisterConsumer accepting endpoint connections cannot run on moto (DescribeVpcEndpointConnections)', async () => {
    const runner = new HandlerRunner();
    const plan = PlanSchema.parse(
      await runner.step('ValidateAndPlan', 'validate', { event: JSON.parse(execution.input) }),
    );
    await runner.step('RegisterConsumer', 'consumer', {
      plan: { ...plan, endpointServices: [{ serviceId: scenario.serviceId, acceptConnections: true }] },
    });
    expect(runner.run('ValidateAndPlan')?.error).toBeUndefined();
    // moto's 500 page is not XML: the SDK reports a deserialization error.
    expect(runner.run('RegisterConsumer')?.error).toEqual({
      name: 'Error',
      message: expect.stringContaining('XML parse error'),
    });
  });

  it("pins that moto's AssumeRole does not evaluate the spoke role's trust (a wrong external id is accepted)", async () => {
    const { Credentials } = await clients.sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/${SPOKE_ROLE}`,
        RoleSessionName: 'trust-check',
        ExternalId: `not-${EXTERNAL_ID}`,
      }),
    );
    expect(Credentials?.AccessKeyId).toEqual(expect.any(String));
  });
});
