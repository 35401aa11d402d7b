import type { ConsumerRecord } from '#shared/registry/model';
import {
  ACCOUNTS,
  ENDPOINT_SERVICE,
  type EndpointName,
  exampleWorld,
  HUB_DESTINATION,
  NONPROD_TABLE,
  PARTNER,
  PROD_TABLE,
  SHARED_TABLE,
  startWorkflowHub,
  TGW,
  type TwinSnapshot,
  vpcOf,
  type WorkflowHub,
  ZONES,
} from './helpers';

const PAYMENTS = 'vpc-0a200000000000001';
const LEDGER = 'vpc-0a200000000000002';
const ANALYTICS = 'vpc-0b300000000000001';
const PARTNER_VPC = 'vpc-0d500000000000001';

interface Expected {
  accountId: string;
  segment: 'prod' | 'nonprod';
  services: EndpointName[];
  /** Endpoint services (catalog names) the VPC asked for and its segment allows. */
  endpointServices: string[];
  cidrs: string[];
  attachmentSubnetIds: string[];
  routeTableIds: string[];
}

/** What each VPC asks for and should get (see the world changes below). */
const EXPECTED: Record<string, Expected> = {
  // prod, two services, subnets tagged spokelink:attach in two AZs; subnet c uses the main route table.
  [PAYMENTS]: {
    accountId: ACCOUNTS.payments,
    segment: 'prod',
    services: ['secretsmanager', 'ssm'],
    // asked for by name, as prod may.
    endpointServices: ['payments-api'],
    cidrs: ['10.1.0.0/16'],
    attachmentSubnetIds: ['subnet-0a200000000000101', 'subnet-0a200000000000102'],
    routeTableIds: ['rtb-0a200000000000100', 'rtb-0a200000000000101'],
  },
  // prod, every endpoint of the segment, two CIDRs, one subnet per AZ chosen by the workflow.
  [LEDGER]: {
    accountId: ACCOUNTS.payments,
    segment: 'prod',
    services: ['secretsmanager', 'ssm', 'sts'],
    // `*` in prod: the prod-only endpoint service too.
    endpointServices: ['payments-api'],
    cidrs: ['10.2.0.0/16', '10.20.0.0/16'],
    attachmentSubnetIds: ['subnet-0a200000000000201', 'subnet-0a200000000000202', 'subnet-0a200000000000203'],
    routeTableIds: ['rtb-0a200000000000201'],
  },
  // the default segment (nonprod), every endpoint it may use (secretsmanager is prod-only).
  [ANALYTICS]: {
    accountId: ACCOUNTS.analytics,
    segment: 'nonprod',
    services: ['ssm', 'sts'],
    // `*` in nonprod: the endpoint service is prod-only.
    endpointServices: [],
    cidrs: ['10.3.0.0/16'],
    attachmentSubnetIds: ['subnet-0b300000000000101', 'subnet-0b300000000000102', 'subnet-0b300000000000103'],
    routeTableIds: ['rtb-0b300000000000101'],
  },
  // outside the organization: the TGW reaches it through a RAM invitation its spoke role accepts.
  [PARTNER_VPC]: {
    accountId: PARTNER,
    segment: 'nonprod',
    services: ['ssm'],
    endpointServices: [],
    cidrs: ['10.5.0.0/16'],
    attachmentSubnetIds: ['subnet-0d500000000000101', 'subnet-0d500000000000102', 'subnet-0d500000000000103'],
    routeTableIds: ['rtb-0d500000000000101'],
  },
};
const VPCS = Object.keys(EXPECTED);
/** Everything a VPC consumes, as its record and status name it: endpoints and endpoint services. */
const catalogOf = (e: Expected) => [...e.services, ...e.endpointServices].sort();
const SEGMENT_TABLES = { prod: [PROD_TABLE], nonprod: [NONPROD_TABLE] };
const UNUSED_TABLE = 'rtb-0a200000000000109';

function scenario() {
  const world = exampleWorld();
  const payments = vpcOf(world, PAYMENTS);
  // Subnet c falls back to the main route table; a third table serves no subnet (it must get no route).
  payments.routeTables![1]!.subnetIds = ['subnet-0a200000000000101', 'subnet-0a200000000000102'];
  payments.routeTables!.push({ id: UNUSED_TABLE, subnetIds: [], routes: [], tags: { Name: 'unused' } });
  vpcOf(world, LEDGER).cidrBlocks = ['10.2.0.0/16', '10.20.0.0/16'];
  return world;
}

describe('Onboarding on the twin: VPCs of several accounts and segments', () => {
  let w: WorkflowHub;
  let after: TwinSnapshot;

  beforeAll(async () => {
    w = await startWorkflowHub({ world: scenario() });
    await w.onboardAll(VPCS);
    after = w.snapshot();
  });
  afterAll(() => w?.close());

  const attachmentOf = (vpcId: string) => {
    const attachments = w.attachmentsOf(vpcId, after);
    expect(attachments).toHaveLength(1);
    return attachments[0]!;
  };

  it('ends each execution in Connected and tags each VPC connected with a summary naming its attachment', () => {
    for (const vpcId of VPCS) {
      const executions = w.executionsOf(vpcId);
      expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
      const { segment } = EXPECTED[vpcId]!;
      const services = catalogOf(EXPECTED[vpcId]!);
      expect(w.status(vpcId)).toEqual({
        status: 'connected',
        detail: expect.stringMatching(
          new RegExp(`^connected to segment ${segment} via ${attachmentOf(vpcId).id}; services ${services.join(',')};`),
        ),
        execution: executions[0]!.name,
      });
      expect(executions[0]!.name).toMatch(new RegExp(`^${vpcId}-onboard-[0-9a-f]{12}$`));
    }
  });

  it('creates one available attachment per VPC in the planned subnets, created by the VPC owner', () => {
    for (const vpcId of VPCS) {
      const attachment = attachmentOf(vpcId);
      expect(attachment).toMatchObject({
        state: 'available',
        vpcOwnerId: EXPECTED[vpcId]!.accountId,
        tags: { Name: `spokelink-${vpcId}`, 'spokelink:vpc': vpcId },
      });
      expect([...attachment.subnetIds].sort()).toEqual(EXPECTED[vpcId]!.attachmentSubnetIds);
    }
  });

  it("associates each attachment with exactly its segment's route table and routes back exactly its claimed CIDRs", () => {
    for (const vpcId of VPCS) {
      expect(w.tgwLinks(attachmentOf(vpcId).id, after)).toEqual({
        associated: SEGMENT_TABLES[EXPECTED[vpcId]!.segment],
        // Static routes in the segment's tables, no propagation (a propagation would bring unvalidated CIDRs).
        propagated: [],
        routed: EXPECTED[vpcId]!.cidrs.map((cidr) => `${SHARED_TABLE} ${cidr}`),
      });
    }
  });

  it("routes the hub destination through the TGW in every route table of the VPC's subnets, and nowhere else", () => {
    for (const vpcId of VPCS) {
      const vpc = w.vpc(vpcId, after);
      const expectedTables = EXPECTED[vpcId]!.routeTableIds;
      expect([...new Set(vpc.subnets.map((s) => s.routeTableId))].sort()).toEqual(expectedTables);
      for (const table of vpc.routeTables) {
        const toTgw = table.routes.filter((r) => r.transitGatewayId === TGW);
        expect({ table: table.id, routes: toTgw.map((r) => r.destinationCidrBlock) }).toEqual({
          table: table.id,
          routes: expectedTables.includes(table.id) ? [HUB_DESTINATION] : [],
        });
      }
    }
    expect(w.routes('rtb-0a200000000000101', after)).toContainEqual(
      expect.objectContaining({ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0a200000000000101' }),
    );
  });

  it('associates each VPC with the private hosted zones of exactly the services it selected, leaving no authorization', () => {
    for (const [endpoint, zone] of Object.entries(ZONES)) {
      const expected = VPCS.filter((v) => EXPECTED[v]!.services.includes(endpoint as EndpointName));
      const { vpcs, authorizations } = w.zone(zone.id, after);
      expect(vpcs.filter((v) => v !== 'us-east-1/vpc-0f000000000000001').sort()).toEqual(
        expected.map((v) => `us-east-1/${v}`).sort(),
      );
      expect(authorizations).toEqual([]);
    }
  });

  it("admits each VPC CIDR on port 443 of its services' endpoint security groups, each rule described with the VPC", () => {
    for (const [endpoint, zone] of Object.entries(ZONES)) {
      const expected = VPCS.filter((v) => EXPECTED[v]!.services.includes(endpoint as EndpointName)).flatMap((v) =>
        EXPECTED[v]!.cidrs.map((cidr) => ({
          protocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          cidr,
          description: `spokelink ${v} ${EXPECTED[v]!.accountId}`,
        })),
      );
      const rules = w.ingress(zone.sg, after).map(({ protocol, fromPort, toPort, cidr, description }) => ({
        protocol,
        fromPort,
        toPort,
        cidr,
        description,
      }));
      const byCidr = (a: { cidr: string }, b: { cidr: string }) => a.cidr.localeCompare(b.cidr);
      expect({ endpoint, rules: rules.sort(byCidr) }).toEqual({ endpoint, rules: expected.sort(byCidr) });
    }
  });

  it('allows on the endpoint service (its root, never *, once) only each account with a VPC that asked for it', () => {
    // Only PAYMENTS (by name) and LEDGER (`*`), both prod, select the prod-only service: their account, not analytics
    // nor the partner (nonprod).
    expect(w.allowedPrincipals(ENDPOINT_SERVICE, after)).toEqual([`arn:aws:iam::${ACCOUNTS.payments}:root`]);
  });

  it('records each VPC in the registry with exactly what was created for it', async () => {
    for (const vpcId of VPCS) {
      const e = EXPECTED[vpcId]!;
      const record = (await w.record(vpcId)) as ConsumerRecord;
      const attachment = attachmentOf(vpcId);
      const ruleIds = new Map<string, string>(
        Object.values(ZONES).flatMap((z) => w.ingress(z.sg, after).map((r) => [`${z.sg}/${r.cidr}`, r.id] as const)),
      );
      expect(record).toMatchObject({
        vpcId,
        accountId: e.accountId,
        region: 'us-east-1',
        segment: e.segment,
        services: catalogOf(e),
        cidrs: e.cidrs,
        status: 'connected',
        attachmentId: attachment.id,
        executions: [w.executionsOf(vpcId)[0]!.executionArn],
        endpointServicePrincipals: e.endpointServices.map(() => ({
          serviceId: ENDPOINT_SERVICE,
          principal: `arn:aws:iam::${e.accountId}:root`,
        })),
      });
      expect([...record.attachmentSubnetIds].sort()).toEqual(e.attachmentSubnetIds);
      expect(record.connectedAt).toEqual(expect.any(String));
      expect(record.routes.map((r) => `${r.routeTableId} ${r.destinationCidr}`).sort()).toEqual(
        e.routeTableIds.map((t) => `${t} ${HUB_DESTINATION}`),
      );
      expect(record.zones.map((z) => z.zoneName).sort()).toEqual(e.services.map((s) => ZONES[s].name).sort());
      expect(record.securityGroupRules).toHaveLength(e.services.length * e.cidrs.length);
      for (const rule of record.securityGroupRules) {
        // The recorded rule id is the rule that exists (offboarding removes it by id).
        expect(rule.ruleId).toBe(ruleIds.get(`${rule.groupId}/${rule.cidr}`));
        expect(rule).toMatchObject({ port: 443, description: `spokelink ${vpcId} ${e.accountId}` });
      }
    }
  });

  it('accepts the RAM invitation only for the account outside the organization, as its spoke role', () => {
    const accepted = w.twin.calls.filter((c) => c.operation === 'AcceptResourceShareInvitation' && !c.error);
    expect(accepted.map((c) => [c.accountId, c.principal])).toEqual([
      [PARTNER, expect.stringMatching(/^arn:aws:sts::555555555555:assumed-role\/spokelink-spoke\//)],
    ]);
  });

  it('leaves the VPCs that did not ask untouched', () => {
    for (const vpcId of ['vpc-0b300000000000002', 'vpc-0c400000000000001', 'vpc-0f000000000000001']) {
      expect(w.status(vpcId)).toEqual({ status: undefined, detail: undefined, execution: undefined });
      expect(w.executionsOf(vpcId)).toEqual([]);
    }
  });
});
