import { isIpv6Cidr } from '#shared/cidr';
import type { HubConfig } from '#shared/config';
import { RejectedError } from '#shared/errors';
import type { Plan } from '#shared/plan';
import { currentRecordsOfAccount, type RegistryTable } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';

/**
 * Per-account budgets on the hub's shared quotas. The hub's endpoint security groups and private hosted zones serve
 * every tenant, and their quotas are shared: 60 inbound rules per security group by default ("Amazon VPC quotas",
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups), 300 VPCs per
 * private hosted zone ("Quotas on hosted zones", Route 53 Developer Guide,
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-hosted-zones).
 * Without a budget one account's VPCs (many, or with many CIDRs) fill them for everybody. A request that would take
 * an account over its budget is rejected (`budget-exceeded: <config field>: ...`), nothing changed.
 *
 * Each budget is one entry of BUDGETS: the configuration field (`budgets.<field>`), the shared resources a plan uses
 * (what each unit is counted against) and those a registry record holds. Route 53 Profile associations, once
 * spokelink makes them, are one more entry.
 */

export type BudgetField = keyof HubConfig['budgets'];

interface Budget {
  field: BudgetField;
  /** What one unit is, for the detail (`inbound rules`). */
  unit: string;
  /** The shared resource each unit of the plan is counted against (one key per unit). */
  planned: (plan: Plan) => string[];
  /** The units a registry record holds, by the same keys. */
  held: (record: ConsumerRecord) => string[];
  /** The resource key as the detail names it. */
  describe: (key: string, config: HubConfig) => string;
}

const endpointsOfGroup = (config: HubConfig, groupId: string) =>
  Object.entries(config.endpoints)
    .filter(([, e]) => e.securityGroupId === groupId)
    .map(([name]) => name)
    .join(', ');

/**
 * The quota a rule counts against: its group's IPv4 rules, or its IPv6 rules (`<group> IPv6`): AWS counts them
 * separately (same page, "Inbound or outbound rules per security group").
 */
const ruleQuotaKey = (r: { groupId: string; cidr: string }) => (isIpv6Cidr(r.cidr) ? `${r.groupId} IPv6` : r.groupId);

export const BUDGETS: readonly Budget[] = [
  {
    field: 'securityGroupRulesPerAccount',
    unit: 'inbound rules',
    planned: (plan) => plan.securityGroupRules.map(ruleQuotaKey),
    held: (record) => (record.securityGroupRules ?? []).map(ruleQuotaKey),
    describe: (key, config) => {
      const [groupId, family] = key.split(' ');
      const of = `security group ${groupId} (endpoint ${endpointsOfGroup(config, groupId!)})`;
      return family ? `${of}, ${family} rules` : of;
    },
  },
  {
    field: 'zoneAssociationsPerAccount',
    unit: 'VPC associations',
    planned: (plan) => plan.zones.map((z) => z.zoneId),
    held: (record) => (record.zones ?? []).map((z) => z.zoneId),
    describe: (zoneId) => `hosted zone ${zoneId}`,
  },
];

function countBy(keys: readonly string[], into = new Map<string, number>()): Map<string, number> {
  for (const key of keys) into.set(key, (into.get(key) ?? 0) + 1);
  return into;
}

/**
 * What the plan would take over a budget, if anything: the account's other VPCs' holdings (their registry records,
 * every status but disconnected: a failed VPC's leftovers still use the quota) plus the plan's. The VPC's own record
 * is not counted: a connected VPC's re-plan replaces its holdings.
 */
export function budgetOverrun(
  config: HubConfig,
  plan: Pick<Plan, 'vpcId' | 'accountId' | 'zones' | 'securityGroupRules'>,
  records: readonly ConsumerRecord[],
): string | undefined {
  const others = records.filter((r) => r.vpcId !== plan.vpcId && r.status !== 'disconnected');
  for (const budget of BUDGETS) {
    const limit = config.budgets[budget.field];
    const used = countBy(others.flatMap(budget.held));
    const wanted = countBy(budget.planned(plan as Plan));
    for (const [key, n] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
      const total = (used.get(key) ?? 0) + n;
      if (total > limit) {
        return (
          `budgets.${budget.field}: account ${plan.accountId} would hold ${total} ${budget.unit} on ` +
          `${budget.describe(key, config)}, over its budget of ${limit} (${used.get(key) ?? 0} used by its other VPCs)`
        );
      }
    }
  }
  return undefined;
}

/** Throws RejectedError `budget-exceeded` when the plan would take its account over a budget. */
export async function checkBudgets(
  config: HubConfig,
  plan: Pick<Plan, 'vpcId' | 'accountId' | 'zones' | 'securityGroupRules'>,
  registry: RegistryTable,
): Promise<void> {
  const overrun = budgetOverrun(config, plan, await currentRecordsOfAccount(registry, plan.accountId));
  if (overrun) throw new RejectedError(`budget-exceeded: ${overrun}`, 'budget-exceeded');
}
