import { aggregatedIngressRules } from '#shared/aggregated-ingress';
import {
  ACCOUNTS,
  aggregatedIngressConfig,
  exampleWorld,
  PROD_TABLE,
  SHARED_TABLE,
  scenarioVpc,
  scenarioVpcId,
  startWorkflowHub,
  type WorkflowHub,
  withVpcs,
  ZONES,
} from './helpers';

/**
 * Aggregated ingress (segments.<name>.aggregatedIngress): the prod segment declares its pool 10.64.0.0/10. The hub
 * stack admits it once on the security group of every endpoint prod may use (seeded by the local deploy from the same
 * definition); a prod VPC inside it connects with no rule of its own, a block outside it gets its per-VPC rules, a VPC
 * of another segment inside it is refused, and offboarding leaves the supernet rule alone.
 */

const SUPERNET = '10.64.0.0/10';
const INSIDE = scenarioVpcId(1);
const MIXED = scenarioVpcId(2);
const FOREIGN = scenarioVpcId(3);

const aggregatedConfig = () => aggregatedIngressConfig({ prod: [SUPERNET] });

function aggregatedWorld() {
  return withVpcs(
    exampleWorld(),
    scenarioVpc(1, { ownerId: ACCOUNTS.payments, cidrs: ['10.64.0.0/16'] }),
    scenarioVpc(2, { ownerId: ACCOUNTS.payments, cidrs: ['10.65.0.0/16', '10.21.0.0/16'] }),
    scenarioVpc(3, { ownerId: ACCOUNTS.analytics, cidrs: ['10.66.0.0/16'] }),
  );
}

const PROD_REQUEST = { 'spokelink:connect': 'true', 'spokelink:segment': 'prod', 'spokelink:services': '*' };
const PROD_GROUPS = [ZONES.ssm.sg, ZONES.sts.sg, ZONES.secretsmanager.sg];

/** The inbound rules of the prod endpoints' groups that admit `cidr`, as `<group> <port> <description>`. */
function admitting(w: WorkflowHub, cidr: string): string[] {
  return PROD_GROUPS.flatMap((sg) =>
    w
      .ingress(sg)
      .filter((r) => r.cidr === cidr)
      .map((r) => `${sg} ${r.fromPort} ${r.description}`),
  ).sort();
}

describe('Aggregated ingress: a segment supernet admitted once on its endpoints', () => {
  let w: WorkflowHub;
  afterEach(() => w?.close());

  it('the hub stack definition admits each prod supernet once per endpoint group and port, and nothing for nonprod', () => {
    const rules = aggregatedIngressRules(aggregatedConfig());
    expect(rules.map((r) => `${r.groupId} ${r.cidr} ${r.port} ${r.description}`)).toEqual(
      PROD_GROUPS.sort().map((sg) => `${sg} ${SUPERNET} 443 spokelink aggregated-ingress prod`),
    );
  });

  it('connects a prod VPC inside the supernet with no rule of its own, routed like any other', async () => {
    w = await startWorkflowHub({ config: aggregatedConfig(), world: aggregatedWorld() });
    // Deployed with the hub (the platform team's), before any onboarding.
    const supernetRules = PROD_GROUPS.map((sg) => `${sg} 443 spokelink aggregated-ingress prod`).sort();
    expect(admitting(w, SUPERNET)).toEqual(supernetRules);
    const rulesBefore = PROD_GROUPS.map((sg) => w.ingress(sg).length);

    await w.onboard(INSIDE, PROD_REQUEST);

    expect(w.status(INSIDE).status).toBe('connected');
    const record = await w.record(INSIDE);
    expect(record?.securityGroupRules).toEqual([]);
    expect(PROD_GROUPS.map((sg) => w.ingress(sg).length)).toEqual(rulesBefore);
    // Reachability still takes what only spokelink builds: the attachment, associated and routed back.
    const [attachment] = w.attachmentsOf(INSIDE).filter((a) => a.state === 'available');
    expect(attachment).toBeDefined();
    expect(w.tgwLinks(attachment!.id)).toEqual({
      associated: [PROD_TABLE],
      propagated: [],
      routed: [`${SHARED_TABLE} 10.64.0.0/16`],
    });
  });

  it('gives a block outside the supernet its per-VPC rules (the fallback), and none to the block inside', async () => {
    w = await startWorkflowHub({ config: aggregatedConfig(), world: aggregatedWorld() });
    await w.onboard(MIXED, PROD_REQUEST);

    expect(w.status(MIXED).status).toBe('connected');
    const record = await w.record(MIXED);
    expect([...new Set(record!.securityGroupRules.map((r) => r.cidr))]).toEqual(['10.21.0.0/16']);
    expect(admitting(w, '10.21.0.0/16')).toEqual(
      PROD_GROUPS.map((sg) => `${sg} 443 spokelink ${MIXED} ${ACCOUNTS.payments}`).sort(),
    );
    expect(admitting(w, '10.65.0.0/16')).toEqual([]);
  });

  it('offboarding removes the VPC’s own rules and never the supernet rule', async () => {
    w = await startWorkflowHub({ config: aggregatedConfig(), world: aggregatedWorld() });
    await w.onboard(INSIDE, PROD_REQUEST);
    await w.onboard(MIXED, PROD_REQUEST);

    await w.hub.untagVpc(MIXED, Object.keys(PROD_REQUEST));
    await w.hub.runUntilIdle();
    await w.hub.untagVpc(INSIDE, Object.keys(PROD_REQUEST));
    await w.hub.runUntilIdle();

    expect(w.status(MIXED).status).toBe('disconnected');
    expect(w.status(INSIDE).status).toBe('disconnected');
    expect(admitting(w, '10.21.0.0/16')).toEqual([]);
    expect(admitting(w, SUPERNET)).toEqual(
      PROD_GROUPS.map((sg) => `${sg} 443 spokelink aggregated-ingress prod`).sort(),
    );
  });

  it('refuses a VPC of another segment inside the supernet (cidr-overlap), changing nothing', async () => {
    w = await startWorkflowHub({ config: aggregatedConfig(), world: aggregatedWorld() });
    const before = w.snapshot();
    await w.onboard(FOREIGN, { 'spokelink:connect': 'true', 'spokelink:segment': 'nonprod' });

    expect(w.status(FOREIGN)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(
        /^cidr-overlap: .*10\.66\.0\.0\/16 overlaps the aggregated ingress 10\.64\.0\.0\/10 of segment prod/,
      ),
    });
    expect(w.attachmentsOf(FOREIGN)).toEqual([]);
    expect(await w.record(FOREIGN)).toBeUndefined();
    expect(w.snapshot().ec2.transitGateways).toEqual(before.ec2.transitGateways);
  });
});
