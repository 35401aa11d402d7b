import type { LocalHub } from '#local/hub';
import { parseConfig } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { ConsumerRecord } from '#shared/registry/model';
import { ec2State } from '#twin/services/ec2/model';
import { budgetOverrun } from '../../functions/validate/budgets';
import { ANALYTICS, LEDGER, lifecycleConfig, lifecycleHub, PAYMENTS, settle, statusOf } from '../lifecycle/helpers';

/**
 * Attack: one tenant fills a quota every tenant shares (an endpoint security group's 60 inbound rules, with 12 VPCs of
 * 5 CIDRs each; a hosted zone's 300 VPC associations), so that every other tenant's next VPC fails. Per-account
 * budgets refuse the request that would take its account over, with `rejected` and a detail naming the budget;
 * other accounts are unaffected.
 */

const ACCOUNT = '222222222222';

function record(vpcId: string, groups: string[], zones: string[], status: ConsumerRecord['status'] = 'connected') {
  return {
    vpcId,
    accountId: ACCOUNT,
    status,
    securityGroupRules: groups.map((groupId, i) => ({ groupId, cidr: `10.${i}.0.0/16`, port: 443 })),
    zones: zones.map((zoneId) => ({ zoneId })),
  } as unknown as ConsumerRecord;
}

function plan(vpcId: string, rules: number, zones: string[] = []) {
  return {
    vpcId,
    accountId: ACCOUNT,
    securityGroupRules: Array.from({ length: rules }, (_, i) => ({
      endpoint: 'ssm',
      groupId: 'sg-0e55e0000000000a1',
      cidr: `10.9.${i}.0/24`,
      port: 443,
      description: 'x',
    })),
    zones: zones.map((zoneId) => ({ endpoint: 'ssm', zoneId, zoneName: 'ssm.us-east-1.amazonaws.com' })),
  };
}

describe('Security: per-account budgets on the shared hub quotas', () => {
  const config = lifecycleConfig((raw) => {
    raw.budgets = { securityGroupRulesPerAccount: 12, zoneAssociationsPerAccount: 2 };
  });

  it("counts the account's other VPCs and the plan, per security group, and names the budget", () => {
    const others = [
      record('vpc-0000000000000000a', Array(10).fill('sg-0e55e0000000000a1'), []),
      // Disconnected VPCs hold nothing any more; the VPC's own record is replaced by its plan.
      record('vpc-0000000000000000b', Array(10).fill('sg-0e55e0000000000a1'), [], 'disconnected'),
      record('vpc-0000000000000000c', Array(10).fill('sg-0e55e0000000000a1'), []),
    ];
    // A VPC with 5 CIDRs asks: 10 + 5 > 12.
    expect(budgetOverrun(config, plan('vpc-0000000000000000d', 5), others.slice(0, 2))).toBe(
      'budgets.securityGroupRulesPerAccount: account 222222222222 would hold 15 inbound rules on security group ' +
        'sg-0e55e0000000000a1 (endpoint ssm), over its budget of 12 (10 used by its other VPCs)',
    );
    expect(budgetOverrun(config, plan('vpc-0000000000000000d', 2), others.slice(0, 2))).toBeUndefined();
    expect(budgetOverrun(config, plan('vpc-0000000000000000c', 2), others)).toBeUndefined();
  });

  it('counts IPv6 rules apart from IPv4 ones, as the security group quota does', () => {
    const v6 = (cidrs: number) => ({
      ...plan('vpc-0000000000000000d', 0),
      securityGroupRules: Array.from({ length: cidrs }, (_, i) => ({
        endpoint: 'ssm',
        groupId: 'sg-0e55e0000000000a1',
        cidr: `2600:1f00:0:${i}00::/56`,
        port: 443,
        description: 'x',
      })),
    });
    const others = [record('vpc-0000000000000000a', Array(12).fill('sg-0e55e0000000000a1'), [])];
    // The account's 12 IPv4 rules leave its IPv6 budget on the group untouched.
    expect(budgetOverrun(config, v6(12), others)).toBeUndefined();
    expect(budgetOverrun(config, v6(13), others)).toBe(
      'budgets.securityGroupRulesPerAccount: account 222222222222 would hold 13 inbound rules on security group ' +
        'sg-0e55e0000000000a1 (endpoint ssm), IPv6 rules, over its budget of 12 (0 used by its other VPCs)',
    );
  });

  it('refuses a budget below 1 or of the wrong type at load time, naming the field', () => {
    const raw = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    raw.budgets = { securityGroupRulesPerAccount: 0, zoneAssociationsPerAccount: 'many' };
    expect(() => parseConfig(raw, 'hub.json')).toThrow(ConfigurationError);
    expect(() => parseConfig(raw, 'hub.json')).toThrow(/budgets\.securityGroupRulesPerAccount: .*\n.*budgets\.zone/);
    // Absent: the defaults.
    delete raw.budgets;
    expect(parseConfig(raw).budgets).toEqual({
      securityGroupRulesPerAccount: 20,
      zoneAssociationsPerAccount: 50,
      attachmentsPerAccount: 100,
    });
  });

  describe('on the local hub', () => {
    let hub: LocalHub | undefined;
    afterEach(async () => {
      await hub?.close();
      hub = undefined;
    });

    it('rejects the VPC that would take its account over a zone budget; other accounts still connect', async () => {
      hub = await lifecycleHub({
        config: lifecycleConfig((raw) => {
          raw.budgets = { zoneAssociationsPerAccount: 1 };
        }),
      });
      await hub.tagVpc(PAYMENTS, {
        'spokelink:connect': 'true',
        'spokelink:segment': 'prod',
        'spokelink:services': 'ssm',
      });
      await settle(hub);
      await hub.tagVpc(LEDGER, {
        'spokelink:connect': 'true',
        'spokelink:segment': 'prod',
        'spokelink:services': 'ssm',
      });
      await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
      await settle(hub);

      expect(statusOf(hub, PAYMENTS).status).toBe('connected');
      expect(statusOf(hub, ANALYTICS).status).toBe('connected');
      const ledger = statusOf(hub, LEDGER);
      expect(ledger.status).toBe('rejected');
      expect(ledger.detail).toMatch(/^budget-exceeded: budgets\.zoneAssociationsPerAccount: account 222222222222/);
      // Nothing was made for the rejected VPC.
      const attachedVpcs = Object.values(ec2State(hub.twin).attachments).map((a) => a.vpcId);
      expect(attachedVpcs).toContain(PAYMENTS);
      expect(attachedVpcs).not.toContain(LEDGER);
    });
  });
});
