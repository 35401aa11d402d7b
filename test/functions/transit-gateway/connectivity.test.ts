import 'aws-sdk-client-mock-jest';
import {
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  EC2Client,
  type Route,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { AssociationPendingError, ConnectivityPendingError } from '#shared/errors';
import { type ConnectivityDeps, confirmConnectivity } from '../../../functions/transit-gateway/connectivity';
import { GetProfileAssociationCommand, type Route53ProfilesClient } from '../../../sdk/client-route53profiles';
import { mockClientForFile } from '../../mock-client';
import { examplePlan } from '../plan-fixture';

// WaitForConnectivity reads the spoke first and the hub only once nothing on the spoke's side is pending, then the
// hub's association before its routes: a poll that finds something pending must not spend the hub's EC2 describe
// bucket (one per account and region, shared by every onboarding) on facts it does not need yet.

const ATTACHMENT = 'tgw-attach-0000000000000001';
const TGW = 'tgw-0a1b2c3d4e5f60718';
const plan = examplePlan();

const hubEc2 = new EC2Client({ region: 'us-east-1' });
const spokeEc2 = new EC2Client({ region: 'us-east-1' });
const spokeRoute53 = new Route53Client({ region: 'us-east-1' });
const hubMock = mockClientForFile(hubEc2);
const spokeEc2Mock = mockClientForFile(spokeEc2);
const route53Mock = mockClientForFile(spokeRoute53);
/** The Profiles client (sdk/client-route53profiles, not an AWS SDK package): answers GetProfileAssociation only. */
let profileStatus = 'COMPLETE';
const spokeProfiles = {
  send: async (command: unknown) => {
    if (!(command instanceof GetProfileAssociationCommand)) throw new Error('unexpected Profiles call');
    return { ProfileAssociation: { Status: profileStatus } };
  },
} as unknown as Route53ProfilesClient;

const deps: ConnectivityDeps = {
  hubEc2,
  spoke: async () => ({ ec2: spokeEc2, route53: spokeRoute53 }),
  spokeProfiles: async () => spokeProfiles,
};

function spokeRoutes(state: Route['State']) {
  spokeEc2Mock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: plan.routeTableIds.map((id) => ({
      RouteTableId: id,
      Routes: plan.destinations.map((cidr) => ({ DestinationCidrBlock: cidr, TransitGatewayId: TGW, State: state })),
    })),
  });
}

function association(state: 'associating' | 'associated') {
  hubMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
    TransitGatewayAttachments: [
      {
        TransitGatewayAttachmentId: ATTACHMENT,
        State: 'available',
        Association: { TransitGatewayRouteTableId: plan.associationRouteTableId, State: state },
      },
    ],
  });
}

function hubRoutes(active: boolean) {
  hubMock.on(SearchTransitGatewayRoutesCommand).resolves({
    Routes: active
      ? plan.cidrs.map((cidr) => ({
          DestinationCidrBlock: cidr,
          State: 'active' as const,
          Type: 'static' as const,
          TransitGatewayAttachments: [{ TransitGatewayAttachmentId: ATTACHMENT }],
        }))
      : [],
  });
}

const hubCalls = () => hubMock.calls().map((c) => c.args[0].constructor.name);

describe('WaitForConnectivity (confirmConnectivity)', () => {
  beforeEach(() => {
    for (const mock of [hubMock, spokeEc2Mock, route53Mock]) mock.reset();
    spokeRoutes('active');
    route53Mock.on(GetChangeCommand).resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    profileStatus = 'COMPLETE';
    association('associated');
    hubRoutes(true);
  });

  it('confirms when the spoke, the association and the routes are all in effect, reading each hub fact once', async () => {
    const result = await confirmConnectivity(
      plan,
      ATTACHMENT,
      { changeIds: ['C1'], profileAssociationId: 'pa-1' },
      deps,
    );
    expect(result.confirmed).toContain(`association with ${plan.associationRouteTableId} associated`);
    expect(result.confirmed).toContain('Profile association pa-1 COMPLETE');
    expect(hubCalls().sort()).toEqual(
      [
        'DescribeTransitGatewayAttachmentsCommand',
        ...plan.propagationRouteTableIds.map(() => 'SearchTransitGatewayRoutesCommand'),
      ].sort(),
    );
  });

  it.each<[string, () => void, RegExp]>([
    [
      'a spoke route is still a blackhole',
      () => spokeRoutes('blackhole'),
      /spoke route rtb-\w+ 10\.0\.0\.0\/16 is blackhole/,
    ],
    [
      'a zone association change is PENDING',
      () =>
        route53Mock
          .on(GetChangeCommand)
          .resolves({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } }),
      /zone association change C1 is PENDING/,
    ],
    [
      'the Profile association is CREATING',
      () => {
        profileStatus = 'CREATING';
      },
      /Profile association pa-1 is CREATING/,
    ],
  ])('does not read the hub while %s', async (_, arrange, message) => {
    arrange();
    const confirm = confirmConnectivity(plan, ATTACHMENT, { changeIds: ['C1'], profileAssociationId: 'pa-1' }, deps);
    await expect(confirm).rejects.toThrow(ConnectivityPendingError);
    await expect(confirm).rejects.toThrow(message);
    expect(hubCalls()).toEqual([]);
  });

  it('reads only the association while it is associating (no route search), and says it is the association alone', async () => {
    association('associating');
    const confirm = confirmConnectivity(plan, ATTACHMENT, { changeIds: [] }, deps);
    // Its own error: the ASL polls the association every second, the other waits back off.
    await expect(confirm).rejects.toThrow(AssociationPendingError);
    await expect(confirm).rejects.toThrow(
      `association of ${ATTACHMENT} with ${plan.associationRouteTableId} is associating`,
    );
    expect(hubCalls()).toEqual(['DescribeTransitGatewayAttachmentsCommand']);
  });

  it('does not search the routes again when AssociateAndPropagate saw them active (routesActive)', async () => {
    hubRoutes(false); // a search would say pending: it must not be made
    const result = await confirmConnectivity(plan, ATTACHMENT, { changeIds: [] }, deps, true);
    expect(hubCalls()).toEqual(['DescribeTransitGatewayAttachmentsCommand']);
    expect(result.confirmed).toContain(
      `routes to ${plan.cidrs.join(', ')} active when created in ${plan.propagationRouteTableIds[0]}`,
    );
  });

  it('stays pending while the attachment is not available, routesActive or not (its routes would be blackholes)', async () => {
    hubMock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
      TransitGatewayAttachments: [
        {
          TransitGatewayAttachmentId: ATTACHMENT,
          State: 'deleting',
          Association: { TransitGatewayRouteTableId: plan.associationRouteTableId, State: 'associated' },
        },
      ],
    });
    const confirm = confirmConnectivity(plan, ATTACHMENT, { changeIds: [] }, deps, true);
    await expect(confirm).rejects.toThrow(ConnectivityPendingError);
    await expect(confirm).rejects.toThrow(`attachment ${ATTACHMENT} is deleting`);
    expect(hubCalls()).toEqual(['DescribeTransitGatewayAttachmentsCommand']);
  });

  it('asks every zone change at once (one round trip), and names each one still pending', async () => {
    let inFlight = 0;
    let most = 0;
    route53Mock.on(GetChangeCommand).callsFake(async (input: { Id: string }) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {
        ChangeInfo: { Id: input.Id, Status: input.Id === 'C2' ? 'PENDING' : 'INSYNC', SubmittedAt: new Date() },
      };
    });
    const confirm = confirmConnectivity(plan, ATTACHMENT, { changeIds: ['C1', 'C2', 'C3'] }, deps);
    await expect(confirm).rejects.toThrow(/zone association change C2 is PENDING$/);
    expect(route53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 3);
    expect(most).toBe(3);
  });

  it('stays pending while a route in a segment table is not active', async () => {
    hubRoutes(false);
    await expect(confirmConnectivity(plan, ATTACHMENT, { changeIds: [] }, deps)).rejects.toThrow(
      `route to ${plan.cidrs.join(', ')} in ${plan.propagationRouteTableIds[0]} not active`,
    );
  });
});
