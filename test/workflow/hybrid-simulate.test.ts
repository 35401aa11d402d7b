import { simulateScenario } from './helpers';

/**
 * The documented `simulate` example of hybrid placement (README "Placement", worlds/hybrid.scenario.json on
 * config/hybrid.hub.json and worlds/hybrid.world.json): a heavy VPC with its own endpoints for two services and two
 * light ones on the hub connect, one service moves hub -> spoke and another spoke -> hub, and offboarding leaves
 * nothing but the VPCs' status tags.
 */

interface Report {
  scenario: { failures: string[] };
  changes: Record<string, { added: number; changed: number; removed: number }>;
  executions: { status: string }[];
  awsCalls: { byOperation: { operation: string; calls: number; failed: number }[] };
}

describe('Simulate: the hybrid placement example', () => {
  it('connects with mixed placement, moves a service each way and offboards leaving nothing', async () => {
    const { code, stdout, stderr } = await simulateScenario({
      config: 'config/hybrid.hub.json',
      world: 'worlds/hybrid.world.json',
      scenario: 'worlds/hybrid.scenario.json',
    });

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    // Every expectation of the scenario held (mixed placement, each move's status detail, the offboardings).
    expect(report.scenario.failures).toEqual([]);
    expect(report.executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const calls = (operation: string) => report.awsCalls.byOperation.find((o) => o.operation === operation);
    // Three spoke endpoints made (payments' two, ledger's one on its move) and deleted; private DNS toggled twice
    // (ledger's on after the hub zone left, payments' sts off before the hub zone came back).
    expect(calls('CreateVpcEndpoint')).toMatchObject({ calls: 3, failed: 0 });
    expect(calls('DeleteVpcEndpoints')).toMatchObject({ failed: 0 });
    expect(calls('ModifyVpcEndpoint')).toMatchObject({ calls: 2, failed: 0 });
    // Nothing left but the three VPCs' status tags.
    expect(report.changes).toEqual({ 'ec2.vpcs': { added: 0, changed: 3, removed: 0 } });
  });
});
