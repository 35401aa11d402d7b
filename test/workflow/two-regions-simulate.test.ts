import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DescribeVpcEndpointConnectionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createLocalHub, type LocalHub } from '#local/hub';
import type { SimulationReport } from '#local/report';
import { loadConfigFile } from '#shared/config';
import { twinPlugin } from '#twin/plugin';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import type { Route53State } from '#twin/services/route53';
import { loadWorldFile } from '#twin/world';
import { expectReportedOnFullPath, SIMULATION_TRANSPORT } from '../sdk-path';
import { LEDGER as LEDGER_FIXTURE } from '../shared/cross-region-fixture';
import { simulateScenario } from './helpers';

/**
 * The documented multi-region example (README "Multi-region": config/example-two-regions.hub.json,
 * worlds/two-regions.world.json and worlds/two-regions.scenario.json): the regional hubs' reconciles peer them and
 * route each other's supernets, spokes onboard, change and offboard in both regions, each through its own region's
 * hub, and us-east-1 keeps onboarding while eu-west-1's workflows are down. A us-east-1 prod spoke takes `ledger`, a
 * service a provider offers in eu-west-1, through the us-east-1 hub's cross-region endpoint (which the local runner
 * deploys as the hub stack does), and loses it at offboarding.
 */

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, 'config', 'example-two-regions.hub.json');
const WORLD = join(ROOT, 'worlds', 'two-regions.world.json');

const US_SPOKES = ['vpc-0a200000000000001', 'vpc-0b300000000000004'];
const PAYMENTS_US = 'vpc-0a200000000000001';
const PAYMENTS_US_CIDR = '10.1.0.0/16';
const HUB_VPC_US = 'vpc-0f000000000000001';
/** The example's ledger: the shared fixture's service and zone, the example hub's endpoint group. */
const LEDGER = { ...LEDGER_FIXTURE, provider: '666666666666', group: 'sg-0e55e0000000000a4' };
const EU_SPOKES = ['vpc-0a2000000000000e1', 'vpc-0b3000000000000e1', 'vpc-0b3000000000000e2'];

type Report = SimulationReport & { scenario: { failures: string[] } };

describe('Simulate: the two-region example', () => {
  it('peers the hubs, onboards, changes and offboards in both regions, one region down for a while', async () => {
    const { code, stdout, stderr } = await simulateScenario({
      config: 'config/example-two-regions.hub.json',
      world: 'worlds/two-regions.world.json',
      scenario: 'worlds/two-regions.scenario.json',
    });

    expect(stderr).toBe('');
    expect(code).toBe(0);
    // --json: exactly one document.
    const report = JSON.parse(stdout) as Report;
    expect(report.scenario.failures).toEqual([]);
    expect(report.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    // The peering and the re-association, through the full SDK path (test/infra/permissions-coverage.test.ts).
    expectReportedOnFullPath(report, [
      'ec2:AcceptTransitGatewayPeeringAttachment',
      'ec2:CreateTransitGatewayPeeringAttachment',
      'ec2:DescribeTransitGatewayPeeringAttachments',
      'ec2:DisassociateTransitGatewayRouteTable',
    ]);

    // Each VPC's workflows ran in its own region's hub, and only there.
    const regionsOf = (vpcId: string) => [
      ...new Set(report.executions.filter((e) => e.vpcId === vpcId).map((e) => e.region)),
    ];
    for (const vpc of US_SPOKES) expect(regionsOf(vpc)).toEqual(['us-east-1']);
    for (const vpc of EU_SPOKES) expect(regionsOf(vpc)).toEqual(['eu-west-1']);

    // The region-down phase: vpc-0b3000000000000e2 was tagged while eu-west-1 was down, with vpc-0b300000000000004
    // in us-east-1. The us-east-1 VPC onboarded at once; the eu-west-1 one only after the 30 minutes of outage, from
    // the event EventBridge held (not the reconcile: none ran after the outage).
    const onboard = (vpcId: string) =>
      report.executions.find((e) => e.vpcId === vpcId && e.stateMachine === 'spokelink-onboard')!;
    const us = onboard('vpc-0b300000000000004');
    const eu = onboard('vpc-0b3000000000000e2');
    expect(eu.startedAtSeconds - us.startedAtSeconds).toBeGreaterThanOrEqual(1800);
    expect(
      report.executions.filter((e) => e.startedAtSeconds > us.startedAtSeconds && e.name.includes('reconcile')),
    ).toEqual([]);

    // Both regions up at the end, every spoke disconnected, the peering kept with its static routes on both sides.
    expect(report.regions).toEqual([
      expect.objectContaining({
        region: 'us-east-1',
        up: true,
        vpcs: { disconnected: 2, none: 1 },
        events: expect.objectContaining({ held: 0, failed: 0 }),
      }),
      expect.objectContaining({
        region: 'eu-west-1',
        up: true,
        vpcs: { disconnected: 3 },
        events: expect.objectContaining({ held: 0, failed: 0 }),
      }),
    ]);
    const [usPeering] = report.regions![0]!.peerings;
    const [euPeering] = report.regions![1]!.peerings;
    // One attachment, seen by both hubs.
    expect(usPeering!.attachmentId).toBe(euPeering!.attachmentId);
    expect(usPeering).toMatchObject({
      peerRegion: 'eu-west-1',
      state: 'available',
      // eu-west-1's supernet in us-east-1's peers.eu-west-1.routeTableIds.
      staticRoutes: ['tgw-rtb-0a000000000000001 10.32.0.0/12', 'tgw-rtb-0c000000000000003 10.32.0.0/12'],
    });
    expect(euPeering).toMatchObject({
      peerRegion: 'us-east-1',
      state: 'available',
      staticRoutes: [
        'tgw-rtb-0e000000000000011 10.0.0.0/12',
        'tgw-rtb-0e000000000000011 2600:1f00::/40',
        'tgw-rtb-0e000000000000013 10.0.0.0/12',
        'tgw-rtb-0e000000000000013 2600:1f00::/40',
      ],
    });
    // Offboarding left only the spokes' status tags, and the peering of the hubs with their static routes: nothing of
    // ledger (its rule on the endpoint group, its zone's association: ec2.vpcs and route53.zones unchanged), the hub's
    // cross-region endpoint deployed before the run as the stack's.
    expect(report.changes).toEqual({
      'ec2.vpcs': { added: 0, changed: 5, removed: 0 },
      'ec2.transitGateways': { added: 0, changed: 2, removed: 0 },
      'ec2.transitGatewayPeeringAttachments': { added: 1, changed: 0, removed: 0 },
    });
  });
});

describe('Simulate: the two-region example, its provider no longer offering ledger to us-east-1', () => {
  it('refuses to run (exit code 2), naming AWS’s error for the hub’s cross-region endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'two-regions-'));
    try {
      const world = JSON.parse(readFileSync(WORLD, 'utf8'));
      world.ec2.endpointServices.find((s: { id: string }) => s.id === LEDGER.serviceId).supportedRegions = [];
      const file = join(dir, 'world.json');
      writeFileSync(file, JSON.stringify(world));
      const { code, stdout, stderr } = await simulateScenario({
        config: 'config/example-two-regions.hub.json',
        world: relative(ROOT, file),
        scenario: 'worlds/two-regions.scenario.json',
      });
      expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
      expect(stderr).toContain(
        "the hub stack's cross-region endpoint of catalog entry ledger (com.amazonaws.vpce.eu-west-1.vpce-svc-" +
          '0e1000000000000a1 in eu-west-1) cannot be created in us-east-1: AWS answers InvalidServiceName',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Two regions on the local hub', () => {
  const config = loadConfigFile(CONFIG);
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it("associates each spoke with its own region's zones, VPCRegion the spoke's region", async () => {
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD), sdkTransport: SIMULATION_TRANSPORT });
    const tags = { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' };
    await hub.tagVpc('vpc-0b300000000000001', tags);
    await hub.tagVpc('vpc-0b3000000000000e1', tags);
    await hub.runUntilIdle();

    const zones = hub.twin.stateOf<Route53State>('route53').zones;
    const spokesOf = (zoneId: string) => zones[zoneId]!.vpcs.filter((v) => !v.vpcId.startsWith('vpc-0f'));
    expect(spokesOf('Z0SSM00000000000000001')).toEqual([{ vpcId: 'vpc-0b300000000000001', region: 'us-east-1' }]);
    expect(spokesOf('Z0SSMEU0000000000001')).toEqual([{ vpcId: 'vpc-0b3000000000000e1', region: 'eu-west-1' }]);
  });

  it('gives a us-east-1 prod spoke the eu-west-1 ledger through the hub’s cross-region endpoint, and takes it away', async () => {
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD), sdkTransport: SIMULATION_TRANSPORT });
    // The hub's endpoint, as the local runner deployed it: ServiceRegion eu-west-1, available, and the provider sees
    // the connection accepted (its service accepts without review) in eu-west-1.
    const endpoints = Object.values(ec2State(hub.twin).endpoints).filter((e) => e.serviceId === LEDGER.serviceId);
    expect(
      endpoints.map((e) => ({
        vpc: e.vpcId,
        region: e.region,
        serviceRegion: e.serviceRegion,
        state: stateAt(e.timeline, hub!.clock.now()),
        groups: e.securityGroupIds,
      })),
    ).toEqual([
      { vpc: HUB_VPC_US, region: 'us-east-1', serviceRegion: 'eu-west-1', state: 'available', groups: [LEDGER.group] },
    ]);
    const provider = hub.twin.credentialsFor(`arn:aws:iam::${LEDGER.provider}:role/ledger-admin`);
    const ec2 = new EC2Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: provider.accessKeyId, secretAccessKey: provider.secretAccessKey },
      maxAttempts: 1,
    });
    ec2.middlewareStack.use(twinPlugin(hub.twin));
    const { VpcEndpointConnections = [] } = await ec2.send(new DescribeVpcEndpointConnectionsCommand({}));
    expect(VpcEndpointConnections.map((c) => [c.VpcEndpointId, c.VpcEndpointOwner, c.VpcEndpointState])).toEqual([
      [endpoints[0]!.id, config.hub.accountId, 'available'],
    ]);

    const admitted = () =>
      ec2State(hub!.twin)
        .securityGroups[LEDGER.group]!.rules.filter((r) => !r.isEgress && r.fromPort === 443 && r.toPort === 443)
        .map((r) => r.cidr);
    const spokes = () =>
      hub!.twin.stateOf<Route53State>('route53').zones[LEDGER.zone]!.vpcs.filter((v) => v.vpcId !== HUB_VPC_US);
    await hub.tagVpc(PAYMENTS_US, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:services': 'ssm',
    });
    await hub.runUntilIdle();
    expect(admitted()).toEqual([]);
    // The change: it asks for ledger.
    await hub.tagVpc(PAYMENTS_US, { 'spokelink:services': 'ssm,ledger' });
    await hub.runUntilIdle();
    expect((await hub.report()).vpcs.find((v) => v.vpcId === PAYMENTS_US)?.status).toBe('connected');
    expect(admitted()).toEqual([PAYMENTS_US_CIDR]);
    expect(spokes()).toEqual([{ vpcId: PAYMENTS_US, region: 'us-east-1' }]);

    // Offboarding: nothing of ledger left for the spoke.
    await hub.untagVpc(PAYMENTS_US, ['spokelink:connect', 'spokelink:segment', 'spokelink:services']);
    await hub.runUntilIdle();
    expect((await hub.report()).vpcs.find((v) => v.vpcId === PAYMENTS_US)?.status).toBe('disconnected');
    expect(admitted()).toEqual([]);
    expect(spokes()).toEqual([]);
  });

  it('dead-letters an event held longer than the intake rule allows; the region back, its reconcile onboards the VPC', async () => {
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD), sdkTransport: SIMULATION_TRANSPORT });
    hub.regionDown('eu-west-1');
    await hub.tagVpc('vpc-0b3000000000000e1', { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await hub.tagVpc('vpc-0b300000000000001', { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await hub.runUntilIdle();
    const eu = hub.region('eu-west-1');
    expect(eu.events.held).toBe(1);
    expect(eu.sfn.executions()).toEqual([]);
    expect(
      hub
        .region('us-east-1')
        .sfn.executions()
        .map((e) => e.status),
    ).toEqual(['SUCCEEDED']);

    // Three hours: past the intake rule's 2 h maximum event age (INTAKE_TARGET_RETRY).
    let reached = false;
    setTimeout(() => {
      reached = true;
    }, 3 * 3_600_000);
    await hub.runUntil(() => reached);
    hub.regionUp('eu-west-1');
    await hub.runUntilIdle();
    expect(eu.events.held).toBe(0);
    expect(eu.events.records.filter((r) => r.outcome === 'failed')).toEqual([
      expect.objectContaining({
        error: expect.stringContaining('dead-lettered'),
        resource: expect.stringContaining('vpc-0b3000000000000e1'),
      }),
    ]);
    expect(eu.sfn.executions()).toEqual([]);

    // The region's next scheduled reconcile finds the tagged VPC and onboards it.
    eu.sfn.start(eu.sfn.arnOf('spokelink-reconcile'), 'schedule-after-outage', JSON.stringify({ source: 'schedule' }));
    await hub.runUntilIdle();
    const vpc = (await hub.report()).vpcs.find((v) => v.vpcId === 'vpc-0b3000000000000e1');
    expect(vpc?.status).toBe('connected');
    expect(eu.sfn.executions().map((e) => [e.stateMachineName, e.status])).toEqual([
      ['spokelink-reconcile', 'SUCCEEDED'],
      ['spokelink-onboard', 'SUCCEEDED'],
    ]);
  });

  it('answers 503 at a down region’s Step Functions endpoint and fails its invocations before any handler runs', async () => {
    hub = await createLocalHub({ config, world: loadWorldFile(WORLD), sdkTransport: SIMULATION_TRANSPORT });
    hub.regionDown('eu-west-1');
    const eu = hub.region('eu-west-1');
    await expect(eu.lambdas.invoke('intake', {})).rejects.toMatchObject({ name: 'Lambda.ServiceException' });
    expect(eu.lambdas.invocations.at(-1)).toMatchObject({ function: 'intake', outcome: 'fault' });
    const { SFNClient, ListStateMachinesCommand } = await import('@aws-sdk/client-sfn');
    const { twinPlugin } = await import('#twin/plugin');
    const caller = hub.twin.credentialsFor(`arn:aws:iam::${config.hub.accountId}:role/operator`);
    const client = (region: string) => {
      const c = new SFNClient({
        region,
        credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
        maxAttempts: 1,
      });
      c.middlewareStack.use(twinPlugin(hub!.twin));
      return c;
    };
    await expect(client('eu-west-1').send(new ListStateMachinesCommand({}))).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    });
    const { stateMachines = [] } = await client('us-east-1').send(new ListStateMachinesCommand({}));
    expect(stateMachines.map((m) => m.stateMachineArn)).toContain(
      hub.region('us-east-1').sfn.arnOf('spokelink-onboard'),
    );
    expect(() => hub!.regionDown('ap-southeast-1')).toThrow('ap-southeast-1 is not a region of this hub');
  });
});
