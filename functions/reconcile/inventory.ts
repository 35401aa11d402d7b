import {
  type EC2Client,
  paginateDescribeSecurityGroupRules,
  paginateDescribeTransitGatewayAttachments,
  paginateDescribeVpcs,
  type SecurityGroupRule,
  type Vpc,
} from '@aws-sdk/client-ec2';
import {
  type OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { RegistryTable } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import { RequestTag } from '#shared/tags';
import { ROLLOUT_KEY } from './rollout';

/**
 * What the reconcile reads, each source in as few calls as it allows: the member accounts (Organizations, walking the
 * spoke OUs), the registry (one scan: records, leases, pending approvals), the spoke VPCs (per account and region,
 * through the spoke role: the tagged VPCs in one filtered describe, the recorded ones that lost their tag in another),
 * the route tables of connected VPCs, and in the hub the endpoint rules and the TGW attachments (one paginated
 * describe each).
 */

/** Accounts under the spoke OUs (or roots), every level down; sorted. */
export async function accountsUnder(organizations: OrganizationsClient, parents: readonly string[]): Promise<string[]> {
  const accounts = new Set<string>();
  const queue = [...parents];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const parent = queue.shift()!;
    if (seen.has(parent)) continue;
    seen.add(parent);
    for await (const page of paginateListAccountsForParent({ client: organizations }, { ParentId: parent })) {
      for (const a of page.Accounts ?? []) if (a.Id && a.Status !== 'SUSPENDED') accounts.add(a.Id);
    }
    for await (const page of paginateListOrganizationalUnitsForParent(
      { client: organizations },
      { ParentId: parent },
    )) {
      for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) queue.push(ou.Id);
    }
  }
  return [...accounts].sort();
}

export interface RegistryInventory {
  records: ConsumerRecord[];
  /** VPC id -> the lease's expiry (epoch s). */
  leases: Map<string, number>;
  /** VPC id -> the pending approval's expiry (epoch s). */
  approvals: Map<string, number>;
  /** The configuration rollout's item (functions/reconcile/rollout.ts), if any. */
  rollout?: Record<string, unknown>;
}

/** Attributes the reconcile reads from the registry items. */
const PROJECTED = [
  'pk',
  'sk',
  'expiresAt',
  'vpcId',
  'accountId',
  'region',
  'segment',
  'shard',
  'services',
  'cidrs',
  'quarantine',
  'status',
  'upgradedFrom',
  'createdAt',
  'attachmentId',
  'routes',
  'zones',
  'profileAssociations',
  'existingProfileId',
  'securityGroupRules',
  'endpointServicePrincipals',
  // The rollout item (ROLLOUT / CONFIG).
  'digest',
  'startedAt',
  'stage',
  'canary',
  'failed',
  'detail',
] as const;

/** One scan of the registry table (records, leases, approvals; claims and history are skipped). */
export async function scanRegistry(table: RegistryTable): Promise<RegistryInventory> {
  const out: RegistryInventory = { records: [], leases: new Map(), approvals: new Map() };
  const pages = paginateScan(
    { client: table.dynamo },
    {
      TableName: table.tableName,
      FilterExpression:
        '(begins_with(#pk, :vpc) AND #sk IN (:current, :lease)) OR begins_with(#pk, :approval) OR #pk = :rollout',
      // The token stays out of the Lambda entirely: only what the comparison reads is projected (every name
      // aliased, reserved words such as STATUS, REGION or SEGMENT included).
      ProjectionExpression: PROJECTED.map((_, i) => `#p${i}`).join(', '),
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#sk': 'sk',
        ...Object.fromEntries(PROJECTED.map((name, i) => [`#p${i}`, name])),
      },
      ExpressionAttributeValues: {
        ':vpc': 'VPC#',
        ':current': 'CURRENT',
        ':lease': 'LEASE',
        ':approval': 'APPROVAL#',
        ':rollout': ROLLOUT_KEY.pk,
      },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      const vpcId = pk.slice(pk.indexOf('#') + 1);
      if (pk === ROLLOUT_KEY.pk) out.rollout = item;
      else if (pk.startsWith('APPROVAL#')) out.approvals.set(vpcId, Number(item.expiresAt));
      else if (item.sk === 'LEASE') out.leases.set(vpcId, Number(item.expiresAt));
      else {
        const { pk: _pk, sk: _sk, kind: _kind, ...record } = item;
        out.records.push(record as ConsumerRecord);
      }
    }
  }
  return out;
}

async function describeVpcs(ec2: EC2Client, filter: { Name: string; Values: string[] }): Promise<Vpc[]> {
  const out: Vpc[] = [];
  for await (const page of paginateDescribeVpcs({ client: ec2 }, { Filters: [filter] })) out.push(...(page.Vpcs ?? []));
  return out;
}

/** The VPCs of one account and region that ask something of spokelink, plus the recorded ones that still exist. */
export async function spokeVpcs(ec2: EC2Client, recordedVpcIds: readonly string[]): Promise<Vpc[]> {
  const tagged = await describeVpcs(ec2, { Name: 'tag-key', Values: [RequestTag.connect] });
  const seen = new Set(tagged.map((v) => v.VpcId));
  const missing = recordedVpcIds.filter((id) => !seen.has(id));
  // A vpc-id filter answers the VPCs that exist; an id in VpcIds that does not would fail the whole call.
  const untagged = missing.length > 0 ? await describeVpcs(ec2, { Name: 'vpc-id', Values: missing }) : [];
  return [...tagged, ...untagged];
}

/** Ingress rules of the catalog's endpoint security groups, by rule id. */
export async function endpointRules(
  ec2: EC2Client,
  groupIds: readonly string[],
): Promise<Map<string, SecurityGroupRule>> {
  const out = new Map<string, SecurityGroupRule>();
  if (groupIds.length === 0) return out;
  const Filters = [{ Name: 'group-id', Values: [...groupIds] }];
  for await (const page of paginateDescribeSecurityGroupRules({ client: ec2 }, { Filters })) {
    for (const r of page.SecurityGroupRules ?? [])
      if (r.SecurityGroupRuleId && !r.IsEgress) out.set(r.SecurityGroupRuleId, r);
  }
  return out;
}

/** Attachment id -> the TGW route table it is associated with (hub view of its own TGW). */
export async function associations(ec2: EC2Client, transitGatewayId: string): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  const Filters = [
    { Name: 'transit-gateway-id', Values: [transitGatewayId] },
    { Name: 'resource-type', Values: ['vpc'] },
  ];
  for await (const page of paginateDescribeTransitGatewayAttachments({ client: ec2 }, { Filters })) {
    for (const a of page.TransitGatewayAttachments ?? []) {
      if (!a.TransitGatewayAttachmentId) continue;
      const association = a.Association?.State === 'associated' || a.Association?.State === 'associating';
      out.set(a.TransitGatewayAttachmentId, association ? a.Association?.TransitGatewayRouteTableId : undefined);
    }
  }
  return out;
}
