import { join } from 'node:path';
import { createLocalHub, type LocalHub } from '#local/hub';
import type { SimulationReport } from '#local/report';
import { loadConfigFile } from '#shared/config';
import { loadWorldFile } from '#twin/world';
import { taggedVpcs } from '../../cli/commands/simulate';
import { expectCalledOnFullPath } from '../sdk-path';

const ROOT = join(__dirname, '..', '..');
const DUAL_STACK = 'vpc-0c400000000000002';
const CONNECTED = [
  'vpc-0a200000000000001',
  'vpc-0a200000000000002',
  'vpc-0b300000000000001',
  DUAL_STACK,
  'vpc-0d500000000000001',
];
const OVERLAPPING = 'vpc-0c400000000000001';
const UNTAGGED = 'vpc-0b300000000000002';
const OUTSIDE_ORG = 'vpc-0d500000000000001';

/**
 * `npm run demo`, end to end: the example organization onboarded by the real state machine and handlers on the twin,
 * app teams tagging their VPCs 15 s apart as `spokelink simulate` does.
 */
describe('Demo: the example organization', () => {
  let hub: LocalHub;
  let report: SimulationReport;

  beforeAll(async () => {
    const world = loadWorldFile(join(ROOT, 'worlds/example.world.json'));
    hub = await createLocalHub({
      config: loadConfigFile(join(ROOT, 'config/example.hub.json')),
      world,
      startTime: Date.UTC(2026, 2, 2, 9, 0, 0),
    });
    const vpcs = taggedVpcs(world);
    let announced = 0;
    vpcs.forEach((vpcId, i) => {
      setTimeout(() => {
        hub.announceTags(vpcId);
        announced += 1;
      }, i * 15_000);
    });
    const run = await hub.runUntil(() => announced === vpcs.length && hub.idle(), { maxVirtualMs: 3_600_000 });
    expect(run.reason).toBe('predicate');
    report = await hub.report();
  });
  afterAll(() => hub?.close());

  const vpc = (id: string) => report.vpcs.find((v) => v.vpcId === id)!;
  interface Ec2Snapshot {
    transitGatewayAttachments: { id: string; vpcId: string; state: string }[];
    transitGateways: {
      routeTables: {
        id: string;
        associations: { attachmentId: string }[];
        propagations: { attachmentId: string }[];
        routes: { attachmentId: string | null; type: string; state: string }[];
      }[];
    }[];
  }
  const ec2 = () => (hub.twin.snapshot() as { ec2: Ec2Snapshot }).ec2;
  const spokeAttachments = () => ec2().transitGatewayAttachments.filter((a) => a.vpcId !== 'vpc-0f000000000000001');

  it('connects every VPC that asked and may connect, with a summary in its status detail', () => {
    for (const id of CONNECTED) {
      expect(vpc(id).status).toBe('connected');
      expect(vpc(id).detail).toMatch(/^connected to segment (prod|nonprod) via tgw-attach-/);
      expect(vpc(id).execution).toMatch(new RegExp(`^${id}-onboard-`));
    }
  });

  it('rejects the VPC whose CIDR overlaps a connected spoke, naming the reason and the other VPC', () => {
    expect(vpc(OVERLAPPING)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^cidr-overlap: .*10\.3\.0\.0\/16.*vpc-0b300000000000001/),
    });
    expect(spokeAttachments().filter((a) => a.vpcId === OVERLAPPING)).toEqual([]);
    expect(report.registry.map((r) => r.vpcId)).not.toContain(OVERLAPPING);
  });

  it('leaves the untagged VPC and the hub VPC untouched', () => {
    expect(vpc(UNTAGGED).status).toBeUndefined();
    expect(vpc('vpc-0f000000000000001').status).toBeUndefined();
    expect(report.executions.map((e) => e.vpcId)).not.toContain(UNTAGGED);
  });

  it('creates exactly one attachment per connected VPC, available, in its segment route table, routed back statically', () => {
    const attachments = spokeAttachments();
    expect(attachments.map((a) => a.vpcId).sort()).toEqual([...CONNECTED].sort());
    for (const a of attachments) expect(a.state).toBe('available');

    const tables = ec2().transitGateways[0]!.routeTables;
    const associated = (rtb: string) =>
      tables
        .find((t) => t.id === rtb)!
        .associations.map((x) => attachments.find((a) => a.id === x.attachmentId)?.vpcId);
    expect(associated('tgw-rtb-0a000000000000001').sort()).toEqual(['vpc-0a200000000000001', 'vpc-0a200000000000002']);
    expect(associated('tgw-rtb-0b000000000000002').sort()).toEqual([
      'vpc-0b300000000000001',
      DUAL_STACK,
      'vpc-0d500000000000001',
    ]);
    const shared = tables.find((t) => t.id === 'tgw-rtb-0c000000000000003')!;
    // The hub routes back to each VPC with a static route per claimed CIDR (the dual-stack VPC has two), never a
    // propagation.
    expect(shared.propagations).toEqual([]);
    const dualStack = attachments.find((a) => a.vpcId === DUAL_STACK)!.id;
    expect(
      shared.routes
        .filter((r) => r.type === 'static' && r.state === 'active')
        .map((r) => r.attachmentId)
        .sort(),
    ).toEqual([...attachments.map((a) => a.id), dualStack].sort());
  });

  it('records each connected VPC in the registry with what was created for it', () => {
    expect(report.registry.map((r) => r.vpcId)).toEqual([...CONNECTED].sort());
    for (const record of report.registry) {
      const attachment = spokeAttachments().find((a) => a.vpcId === record.vpcId);
      expect(record).toMatchObject({ status: 'connected', attachmentId: attachment?.id });
      expect(record.routes).toBeGreaterThan(0);
      expect(record.zones.length).toBeGreaterThan(0);
      expect(record.securityGroupRules).toBeGreaterThan(0);
      expect(record.executions).toHaveLength(1);
    }
    expect(report.registry.find((r) => r.vpcId === 'vpc-0a200000000000001')).toMatchObject({
      segment: 'prod',
      // the prod-only endpoint service asked for by name: a catalog name with no zone.
      services: ['payments-api', 'secretsmanager', 'ssm'],
      zones: ['secretsmanager.us-east-1.amazonaws.com', 'ssm.us-east-1.amazonaws.com'],
    });
  });

  it('allows on the prod-only endpoint service only the account whose prod VPCs asked for it', () => {
    const service = hub.twin.snapshot() as unknown as {
      ec2: { endpointServices: { id: string; allowedPrincipals: string[] }[] };
    };
    expect(service.ec2.endpointServices.find((s) => s.id === 'vpce-svc-0d000000000000001')?.allowedPrincipals).toEqual([
      'arn:aws:iam::222222222222:root',
    ]);
  });

  it('connects the dual-stack VPC for both IP families, through an attachment with IPv6 support', () => {
    expect(report.registry.find((r) => r.vpcId === DUAL_STACK)).toMatchObject({ status: 'connected', routes: 2 });
    expect(report.vpcs.find((v) => v.vpcId === DUAL_STACK)?.cidrs).toEqual(['10.6.0.0/16', '2600:1f00:0:2000::/56']);
    const attachment = spokeAttachments().find((a) => a.vpcId === DUAL_STACK) as { ipv6Support?: string } | undefined;
    expect(attachment?.ipv6Support).toBe('enable');
  });

  it('connects the VPC outside the organization through the RAM invitation path', () => {
    expect(vpc(OUTSIDE_ORG).status).toBe('connected');
    const accepted = hub.twin.calls.filter((c) => c.operation === 'AcceptResourceShareInvitation' && !c.error);
    expect(accepted.map((c) => c.accountId)).toEqual(['555555555555']);
  });

  it('ends every execution (rejections are answers, not failures) and starts one per tagged VPC', () => {
    expect(report.executions.map((e) => e.status)).toEqual(Array(6).fill('SUCCEEDED'));
    expect(report.executions.map((e) => e.vpcId).sort()).toEqual([...CONNECTED, OVERLAPPING].sort());
    expect(report.events.delivered).toBe(6);
  });

  it('makes its AWS calls through the full SDK path: endpoint connections, RAM shares, executions', () => {
    // The actions test/infra/permissions-coverage.test.ts leaves to this suite.
    expectCalledOnFullPath(hub, [
      'ec2:DescribeVpcEndpointConnections',
      'ec2:DescribeVpcEndpointServicePermissions',
      'ec2:ModifyVpcEndpointServicePermissions',
      'ram:AcceptResourceShareInvitation',
      'ram:AssociateResourceShare',
      'ram:CreateResourceShare',
      'ram:GetResourceShareInvitations',
      'ram:GetResourceShares',
      'states:DescribeExecution',
    ]);
  });

  it('records each execution history in the Step Functions format', () => {
    const execution = hub.executions().find((e) => e.name.startsWith(OUTSIDE_ORG))!;
    const events = hub.sfn.history(execution.executionArn);
    expect(events[0]!.type).toBe('ExecutionStarted');
    expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ParallelStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionFailed']),
    );
  });
});
