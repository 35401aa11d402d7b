import { DeleteRouteCommand } from '@aws-sdk/client-ec2';
import { ec2State } from '#twin/services/ec2/model';
import {
  ACCOUNTS,
  ENDPOINT_SERVICE,
  exampleWorld,
  expectConnectedOnce,
  HUB_DESTINATION,
  type RawWorld,
  scenarioRouteTableId,
  scenarioSubnetId,
  scenarioVpc,
  startWorkflowHub,
  TGW,
  type WorkflowHub,
  withVpcs,
  ZONES,
} from './helpers';

/**
 * Conflicts that appear while connecting (after validation, which refuses those it can read): spokelink never overwrites what is not its own and reports it
 * by name. The other branches still run to the end; what they made is then rolled back; the status says `failed`,
 * naming the step and what was rolled back; a retry after the conflict is removed converges.
 */

const ANALYTICS = ACCOUNTS.analytics;
const PEERING = 'pcx-0e00000000000a001';

/**
 * A VPC whose private route table comes to route the hub destination to a peering connection right after validation
 * (a route there before it is a `route-conflict` rejection: test/workflow/rejections.test.ts).
 */
const ROUTED_ELSEWHERE = (() => {
  const vpc = scenarioVpc(31, {
    ownerId: ANALYTICS,
    cidrs: ['10.131.0.0/16'],
    tags: { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' },
  });
  // Subnet c uses the main table (no route to the hub yet): no route may be created there either.
  vpc.routeTables![1]!.subnetIds = [scenarioSubnetId(31, 0), scenarioSubnetId(31, 1)];
  return vpc;
})();
/** A VPC whose team associates its own zone named like the hub's sts zone while the workflow runs. */
const ZONE_RACE = scenarioVpc(32, {
  ownerId: ANALYTICS,
  cidrs: ['10.132.0.0/16'],
  tags: { 'spokelink:connect': 'true', 'spokelink:services': 'ssm,sts' },
});

function scenario(): RawWorld {
  return withVpcs(exampleWorld(), ROUTED_ELSEWHERE, ZONE_RACE);
}

describe('Conflicts: reported by name, never overwritten', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub({ world: scenario() });
  });
  afterAll(() => w?.close());

  describe('a route to the hub destination that points elsewhere', () => {
    const vpcId = ROUTED_ELSEWHERE.id!;
    const privateTable = scenarioRouteTableId(31, 1);
    const mainTable = scenarioRouteTableId(31, 0);

    it('fails CreateSpokeRoutes naming the route table, the CIDR and the other target; the route is unchanged', async () => {
      const stop = w.hub.onProgress((p) => {
        if (p.kind === 'state' && p.event === 'exited' && p.state === 'ValidateAndPlan' && p.vpcId === vpcId) {
          // The app team's peering route, added while the workflow runs (in the twin's model: no peering to make).
          ec2State(w.twin).routeTables[privateTable]!.routes.push({
            destinationCidrBlock: HUB_DESTINATION,
            vpcPeeringConnectionId: PEERING,
            origin: 'CreateRoute',
          });
          stop();
        }
      });
      const [execution] = await w.onboard(vpcId);

      expect(execution).toMatchObject({ status: 'FAILED', error: 'ConflictError' });
      expect(execution!.cause).toMatch(/^CreateSpokeRoutes: ConflictError: route conflict: /);
      expect(w.status(vpcId)).toEqual({
        status: 'failed',
        detail: expect.stringContaining(
          `CreateSpokeRoutes: ConflictError: route conflict: ${privateTable} routes ${HUB_DESTINATION} to ${PEERING} ` +
            `(not to ${TGW})`,
        ),
        execution: execution!.name,
      });
      // Nothing was created in any route table: the conflict is found before the first route.
      expect(w.routes(privateTable).filter((r) => r.destinationCidrBlock === HUB_DESTINATION)).toEqual([
        expect.objectContaining({ vpcPeeringConnectionId: PEERING }),
      ]);
      expect(w.routes(mainTable).filter((r) => r.destinationCidrBlock === HUB_DESTINATION)).toEqual([]);
      expect([...w.routes(privateTable), ...w.routes(mainTable)].some((r) => r.transitGatewayId === TGW)).toBe(false);
    });

    it('rolls back what the other branches made: no association, rule, principal or live attachment is left', async () => {
      expect(w.zone(ZONES.ssm.id).vpcs).not.toContain(`us-east-1/${vpcId}`);
      expect(w.ingress(ZONES.ssm.sg).map((r) => r.description)).not.toContain(`spokelink ${vpcId} ${ANALYTICS}`);
      expect(w.allowedPrincipals(ENDPOINT_SERVICE)).not.toContain(`arn:aws:iam::${ANALYTICS}:root`);
      expect(w.attachmentsOf(vpcId).map((a) => a.state)).toEqual(['deleting']);
      expect(await w.record(vpcId)).toMatchObject({
        status: 'failed',
        routes: [],
        zones: [],
        securityGroupRules: [],
        endpointServicePrincipals: [],
      });
      expect((await w.record(vpcId))!.attachmentId).toBeUndefined();
      // nonprod, ssm only: no endpoint service asked for, so no principal was added to roll back.
      expect(w.status(vpcId).detail).toMatch(/; rolled back: attachment, 1 zone assoc, 1 SG rule$/);
    });

    it('converges once the team removes the route and asks again', async () => {
      await w
        .appTeam(ANALYTICS)
        .ec2.send(new DeleteRouteCommand({ RouteTableId: privateTable, DestinationCidrBlock: HUB_DESTINATION }));
      const [retry] = await w.onboard(vpcId);
      expect(retry!.status).toBe('SUCCEEDED');
      await expectConnectedOnce(w, {
        vpcId,
        accountId: ANALYTICS,
        services: ['ssm'],
        cidrs: ['10.131.0.0/16'],
        routeTableIds: [mainTable, privateTable],
      });
    });
  });

  describe('a zone of the same name associated with the VPC after validation (ConflictingDomainExists)', () => {
    const vpcId = ZONE_RACE.id!;
    let appTeamZone: Promise<string> | undefined;

    beforeAll(async () => {
      const stop = w.hub.onProgress((p) => {
        if (p.kind === 'state' && p.event === 'exited' && p.state === 'ValidateAndPlan' && p.vpcId === vpcId) {
          appTeamZone = w.appTeamCreatesZone(ANALYTICS, ZONES.sts.name, vpcId);
          stop();
        }
      });
      await w.onboard(vpcId);
    });

    it('fails AssociateZones with a ConflictError naming the zone, its id and the other zone', async () => {
      const otherZone = await appTeamZone;
      expect(otherZone).toMatch(/^Z/);
      const [execution] = w.executionsOf(vpcId);
      expect(execution).toMatchObject({ status: 'FAILED', error: 'ConflictError' });
      expect(w.status(vpcId)).toEqual({
        status: 'failed',
        detail:
          `AssociateZones: ConflictError: zone ${ZONES.sts.name} (${ZONES.sts.id}, endpoint sts): ${vpcId} is ` +
          `already associated with another zone of that name (${otherZone}); ` +
          // The attachment and routes of the Transit Gateway branch, the rules of the consumer branch; the account's
          // principal stays: the first VPC of the account is connected.
          'rolled back: attachment, 1 route, 2 SG rules',
        execution: execution!.name,
      });
      // Route 53 answered ConflictingDomainExists to the spoke's association.
      const associations = w.twin.calls.filter(
        (c) => c.operation === 'AssociateVPCWithHostedZone' && c.accountId === ANALYTICS,
      );
      expect(associations.map((c) => c.error)).toContain('ConflictingDomainExists');
    });

    it("leaves no authorization on the hub's zones and records exactly the zones the VPC is associated with", async () => {
      expect(w.zone(ZONES.sts.id).vpcs).not.toContain(`us-east-1/${vpcId}`);
      const associated = Object.values(ZONES)
        .filter((z) => w.zone(z.id).vpcs.includes(`us-east-1/${vpcId}`))
        .map((z) => z.id);
      for (const zone of Object.values(ZONES))
        expect({ zone: zone.id, auth: w.zone(zone.id).authorizations }).toEqual({ zone: zone.id, auth: [] });
      const record = await w.record(vpcId);
      expect(record!.status).toBe('failed');
      expect(record!.zones.map((z) => z.zoneId).sort()).toEqual(associated.sort());
    });
  });
});
