import { ec2State } from '#twin/services/ec2/model';
import { startWorkflowHub, type WorkflowHub } from '../../workflow/helpers';

/**
 * RegisterConsumer through the whole onboarding on the twin (real ASL, real handlers, dynalite registry): which EC2
 * calls it makes on the hub. A first onboarding authorizes without describing (describing only when AWS answers
 * InvalidPermission.Duplicate); a run that finds rules confirmed before describes once and sends only the missing ones.
 */

const VPC = 'vpc-0a200000000000001';

describe('Function: consumer (on the twin)', () => {
  let w: WorkflowHub;
  let execution: Awaited<ReturnType<WorkflowHub['onboard']>>[number] | undefined;

  // One hub and one first onboarding for the file: each case after the first starts from the connected VPC, which
  // each leaves connected with its rules in place.
  beforeAll(async () => {
    w = await startWorkflowHub();
    [execution] = await w.onboard(VPC);
  });

  afterAll(async () => {
    await w.close();
  });

  const callsOf = (operation: string, from = 0) => w.callsSince(from).filter((c) => c.operation === operation);

  it('onboards a VPC for the first time without any DescribeSecurityGroupRules call', async () => {
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
    const before = await w.record(VPC);
    const mark = w.mark();

    const again = await w.repair(VPC);

    expect(again?.status).toBe('SUCCEEDED');
    // The describe shows every planned rule in place: none is sent again (a duplicate costs a request token too).
    expect(callsOf('AuthorizeSecurityGroupIngress', mark)).toEqual([]);
    expect(callsOf('DescribeSecurityGroupRules', mark)).toHaveLength(1);
    expect((await w.record(VPC))?.securityGroupRules).toEqual(before?.securityGroupRules);
  });

  it('run again after a rule was revoked out of band: describes once and authorizes only that rule', async () => {
    const recorded = (await w.record(VPC))!.securityGroupRules!;
    const gone = recorded[0]!;
    const group = ec2State(w.twin).securityGroups[gone.groupId]!;
    group.rules = group.rules.filter((r) => r.id !== gone.ruleId);
    const mark = w.mark();

    const again = await w.repair(VPC, 'after-revoke');

    expect(again?.status).toBe('SUCCEEDED');
    // One call, which succeeds: the others are in place.
    expect(callsOf('AuthorizeSecurityGroupIngress', mark).map((c) => c.error ?? 'ok')).toEqual(['ok']);
    expect(callsOf('DescribeSecurityGroupRules', mark)).toHaveLength(1);
    const rules = ec2State(w.twin).securityGroups[gone.groupId]!.rules;
    expect(rules.some((r) => r.cidr === gone.cidr && r.fromPort === gone.port)).toBe(true);
  });
});
