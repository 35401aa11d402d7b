import { cidrContains, cidrsOverlap, compareCidrs } from './cidr';
import type { HubConfig } from './config';
import { shardsOf } from './shards';

/**
 * Aggregated ingress (`segments.<name>.aggregatedIngress`): a segment's supernets admitted once on the security group
 * of each endpoint the segment may use, instead of one rule per VPC block. An endpoint security group holds at most
 * `rules per security group x security groups per network interface <= 1,000` rules per family ("Amazon VPC quotas",
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups): one rule per
 * VPC stops near 1,000 VPCs, a supernet rule admits every VPC allocated in it.
 *
 * The rules are the platform team's: the hub stack creates them (infra/stacks/hub-stack.ts), onboarding never makes
 * them and offboarding never removes them (no VPC's record holds them). Their description names the segment, never a
 * VPC, so they can never be taken for a VPC's rule.
 */

/** Description of an aggregated ingress rule (AWS allows 255 characters; a segment name is at most 31). */
export function aggregatedRuleDescription(segment: string): string {
  return `spokelink aggregated-ingress ${segment}`;
}

export interface AggregatedIngressRule {
  segment: string;
  /** The endpoints (catalog names) this rule serves: those sharing the group. */
  endpoints: string[];
  groupId: string;
  /** The supernet. */
  cidr: string;
  port: number;
  description: string;
}

/** Whether a segment may use an endpoint (absent `segments`: every segment). */
const usableBy = (segment: string) => (entry: { segments?: string[] | undefined }) =>
  entry.segments === undefined || entry.segments.includes(segment);

/**
 * Every aggregated ingress rule the configuration asks for: each segment's supernets, on each port of each endpoint
 * the segment may use, one per (group, supernet, port), sorted by group, CIDR, port.
 */
export function aggregatedIngressRules(config: HubConfig): AggregatedIngressRule[] {
  const rules = new Map<string, AggregatedIngressRule>();
  for (const [segment, { aggregatedIngress }] of Object.entries(config.segments)) {
    for (const [name, endpoint] of Object.entries(config.endpoints)) {
      if (!usableBy(segment)(endpoint)) continue;
      // Each shard of the segment has its own group for the endpoint (shards.ts); the catalog's without shards.
      const groups = [
        ...new Set(
          shardsOf(config, segment).map((s) => s.endpoints[name]?.securityGroupId ?? endpoint.securityGroupId),
        ),
      ];
      for (const [cidr, groupId] of aggregatedIngress.flatMap((c) => groups.map((g) => [c, g] as const))) {
        for (const port of endpoint.ports) {
          const key = `${groupId}|${cidr}|${port}`;
          const rule = rules.get(key);
          if (rule) rule.endpoints.push(name);
          else {
            rules.set(key, {
              segment,
              endpoints: [name],
              groupId,
              cidr,
              port,
              description: aggregatedRuleDescription(segment),
            });
          }
        }
      }
    }
  }
  return [...rules.values()].sort(
    (a, b) => a.groupId.localeCompare(b.groupId) || compareCidrs(a.cidr, b.cidr) || a.port - b.port,
  );
}

/** The supernet of the segment that holds `cidr` entirely (its VPC rules are then not needed), if any. */
export function coveringSupernet(config: Pick<HubConfig, 'segments'>, segment: string, cidr: string) {
  return config.segments[segment]?.aggregatedIngress.find((supernet) => cidrContains(supernet, cidr));
}

/**
 * The blocks of a VPC of `segment` that need per-VPC rules: those no supernet of the segment holds entirely. The
 * one definition validation plans from and the reconcile compares with.
 */
export function perVpcRuleCidrs(config: Pick<HubConfig, 'segments'>, segment: string, cidrs: readonly string[]) {
  return cidrs.filter((cidr) => coveringSupernet(config, segment, cidr) === undefined);
}

/**
 * A supernet of ANOTHER segment that `cidr` overlaps, if any: such a block would be admitted on that segment's
 * endpoints by its aggregated rule, so a VPC of `segment` may not have it.
 */
export function foreignSupernet(
  config: Pick<HubConfig, 'segments'>,
  segment: string,
  cidr: string,
): { segment: string; cidr: string } | undefined {
  for (const [other, { aggregatedIngress }] of Object.entries(config.segments)) {
    if (other === segment) continue;
    const supernet = aggregatedIngress.find((s) => cidrsOverlap(s, cidr));
    if (supernet) return { segment: other, cidr: supernet };
  }
  return undefined;
}
