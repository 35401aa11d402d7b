import { QUOTAS } from '#twin/services/ec2/model';

/**
 * AWS's highest setting of "Inbound or outbound rules per security group" (default 60, adjustable; the rules per group
 * times the groups per network interface cannot exceed 1,000:
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
 *
 * spokelink adds one ingress rule per spoke CIDR and port to each selected endpoint's security group, so 1,000 spokes
 * need this quota at its maximum (and one security group per endpoint interface). The twin enforces the default 60
 * and has no per-world knob for it yet, so the scale runs raise its constant for their duration and restore it.
 */
export const MAX_RULES_PER_SECURITY_GROUP = 1_000;

/** Runs `work` with the twin's rules-per-security-group quota at AWS's maximum, restoring it afterwards. */
export async function withRaisedSecurityGroupRuleQuota<T>(work: () => Promise<T>): Promise<T> {
  const before = QUOTAS.rulesPerSecurityGroup;
  QUOTAS.rulesPerSecurityGroup = MAX_RULES_PER_SECURITY_GROUP;
  try {
    return await work();
  } finally {
    QUOTAS.rulesPerSecurityGroup = before;
  }
}
