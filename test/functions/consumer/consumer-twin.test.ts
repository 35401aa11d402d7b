import { startWorkflowHub, type WorkflowHub } from '../../workflow/helpers';

/**
 * RegisterConsumer through the whole onboarding on the twin (real ASL, real handlers, dynalite registry): which EC2
 * calls it makes on the hub. Authorize first, describe only when AWS answers InvalidPermission.Duplicate.
 */

const VPC = 'vpc-0a200000000000001';

describe('Function: consumer (on the twin)', () => {
  let w: WorkflowHub;

  beforeEach(async () => {
    w = await startWorkflowHub();
  });

  afterEach(async () => {
    await w.close();
  });

  const callsOf = (operation: string, from = 0) => w.callsSince(from).filter((c) => c.operation === operation);

  it('onboards a VPC for the first time without any DescribeSecurityGroupRules call', async () => {
    const [execution] = await w.onboard(VPC);

    expect(execution?.status).toBe('SUCCEEDED');
    expect(callsOf('DescribeSecurityGroupRules')).toEqual([]);
    const authorized = callsOf('AuthorizeSecurityGroupIngress');
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.filter((c) => c.error)).toEqual([]);
    // Every rule recorded with the id EC2 gave it.
    const record = await w.record(VPC);
    const rules = w.snapshot().ec2.vpcs.flatMap((v) => v.securityGroups.flatMap((g) => g.rules));
    expect(record?.securityGroupRules).toHaveLength(authorized.length);
    for (const recorded of record?.securityGroupRules ?? []) {
      expect(rules.find((r) => r.id === recorded.ruleId)).toMatchObject({
        cidr: recorded.cidr,
        fromPort: recorded.port,
        description: recorded.description,
      });
    }
  });

  it('run again (a reconcile repair, never cut short), creates no rule, describes once, keeps the rule ids', async () => {
    await w.onboard(VPC);
    const before = await w.record(VPC);
    const mark = w.mark();

    const again = await w.repair(VPC);

    expect(again?.status).toBe('SUCCEEDED');
    const authorized = callsOf('AuthorizeSecurityGroupIngress', mark);
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.map((c) => c.error)).toEqual(authorized.map(() => 'InvalidPermission.Duplicate'));
    expect(callsOf('DescribeSecurityGroupRules', mark)).toHaveLength(1);
    expect((await w.record(VPC))?.securityGroupRules).toEqual(before?.securityGroupRules);
  });
});
