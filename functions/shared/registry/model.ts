import * as z from 'zod';
import type { QuarantinedCidr } from '../plan';
/**
 * The consumer registry's record: what spokelink created for one spoke VPC. Source of truth for overlap checks,
 * offboarding (remove exactly this) and chargeback (membership history). Stored in DynamoDB:
 * - current record:  pk = `VPC#<vpcId>`, sk = `CURRENT`
 * - history record:  pk = `VPC#<vpcId>`, sk = `HISTORY#<connectedAt ISO>` (written at offboarding, with `disconnectedAt`)
 * - GSI `byAccount`: accountId / sk; items carry `kind` = `current` | `history`.
 */

/**
 * The items a record lists, as zod schemas: the steps' results (their contracts) and the rollback's reading of them
 * are made of the same items.
 */
export const RouteRecordSchema = z.object({ routeTableId: z.string(), destinationCidr: z.string() });
export type RouteRecord = z.infer<typeof RouteRecordSchema>;

export const ZoneRecordSchema = z.object({ endpoint: z.string(), zoneId: z.string(), zoneName: z.string() });
export type ZoneRecord = z.infer<typeof ZoneRecordSchema>;

/**
 * An interface endpoint spokelink created in the spoke VPC for a local service (placement `spoke`), with the security
 * group it made for it. Offboarding and rollback delete exactly these ids (never what tags claim: tags can be forged).
 */
export const SpokeEndpointRecordSchema = z.object({
  /** Catalog endpoint name. */
  endpoint: z.string(),
  /** Absent until the endpoint is created (the group comes first). */
  vpcEndpointId: z.string().optional(),
  securityGroupId: z.string(),
});
export type SpokeEndpointRecord = z.infer<typeof SpokeEndpointRecordSchema>;

/**
 * The VPC's association with the hub's Route 53 Profile (DNS mode `profile`). The Profile's owner cannot list its
 * consumers' associations, so the registry keeps the id; the spoke role reads it back (GetProfileAssociation).
 */
export const ProfileAssociationRecordSchema = z.object({ profileId: z.string(), associationId: z.string() });
export type ProfileAssociationRecord = z.infer<typeof ProfileAssociationRecordSchema>;

export const SecurityGroupRuleRecordSchema = z.object({
  endpoint: z.string(),
  groupId: z.string(),
  cidr: z.string(),
  port: z.number(),
  /** The description spokelink wrote: how offboarding finds exactly its own rule. */
  description: z.string(),
  ruleId: z.string().optional(),
});
export type SecurityGroupRuleRecord = z.infer<typeof SecurityGroupRuleRecordSchema>;

export const EndpointServicePrincipalRecordSchema = z.object({ serviceId: z.string(), principal: z.string() });
export type EndpointServicePrincipalRecord = z.infer<typeof EndpointServicePrincipalRecordSchema>;

/**
 * A connection to a hub endpoint service that spokelink accepted for this VPC (its endpoint lives in the VPC): what
 * offboarding, or a change that drops the service, rejects. Recorded before the accept (write-ahead).
 */
export const EndpointConnectionRecordSchema = z.object({ serviceId: z.string(), vpcEndpointId: z.string() });
export type EndpointConnectionRecord = z.infer<typeof EndpointConnectionRecordSchema>;

export interface ConsumerRecord {
  vpcId: string;
  accountId: string;
  region: string;
  segment: string;
  /**
   * The endpoint shard of the segment serving the VPC (functions/shared/shards.ts), assigned at validation and kept;
   * its slot in the shard's counter is the VPC's until it is disconnected. Absent: the segment declares no shards.
   */
  shard?: string;
  /** Catalog names (endpoints and endpoint services) this VPC consumes. */
  services: string[];
  /** The endpoints among `services` served in the VPC itself (placement `spoke`); absent: none. */
  localServices?: string[];
  /**
   * The endpoints among `services` the VPC served itself when it was last planned (its own zone or endpoint of the
   * name: plan `selfServed`): no hub zone, rule or spokelink endpoint for them. Absent: none.
   */
  selfServed?: string[];
  /** The CIDRs the VPC claims (validated): the only ones routed and admitted. */
  cidrs: string[];
  /** Blocks of the VPC that did not validate when it was last planned (status `quarantined`): never claimed. */
  quarantine?: QuarantinedCidr[];
  attachmentId?: string;
  attachmentSubnetIds: string[];
  routes: RouteRecord[];
  zones: ZoneRecord[];
  /** Absent in records written before DNS modes: read it as empty. At most one outside a migration between Profiles. */
  profileAssociations?: ProfileAssociationRecord[];
  /**
   * DNS mode `profile`, `dns.existingProfile: "associate-zones"`: the VPC's own Route 53 Profile found at validation
   * (the tenant's; never written by spokelink): the VPC gets the catalog's zones directly (`zones`), not the hub's
   * Profile. The reconcile moves it to the hub's Profile once that association is gone (`dns-mode-changed`).
   */
  existingProfileId?: string;
  securityGroupRules: SecurityGroupRuleRecord[];
  endpointServicePrincipals: EndpointServicePrincipalRecord[];
  /** Absent in records written before connections were recorded: read it as empty. */
  endpointConnections?: EndpointConnectionRecord[];
  /** Endpoints spokelink made in the VPC for its local services; absent: none. */
  spokeEndpoints?: SpokeEndpointRecord[];
  status: 'onboarding' | 'connected' | 'failed' | 'offboarding' | 'disconnected';
  /** ISO times. `connectedAt` is when the VPC first became connected in this membership. */
  createdAt: string;
  connectedAt?: string;
  disconnectedAt?: string;
  updatedAt: string;
  /** Execution ARNs that changed this record, oldest first (audit trail cross-reference). */
  executions: string[];
  /** The registry schema the record was written in (schema.ts; absent: 1, before versions). */
  schemaVersion?: number;
  /**
   * Set by `spokelink migrate` on a record of an older schema whose VPC holds an attachment: the reconcile re-plans
   * it (`schema-upgrade`); the onboarding that does drops it.
   */
  upgradedFrom?: number;
}

/** Membership interval of one consumer VPC, as chargeback reads it. */
export interface MembershipInterval {
  vpcId: string;
  accountId: string;
  segment: string;
  services: string[];
  connectedAt: string;
  disconnectedAt?: string;
}

export const registryKeys = {
  current: (vpcId: string) => ({ pk: `VPC#${vpcId}`, sk: 'CURRENT' }),
  history: (vpcId: string, connectedAt: string) => ({ pk: `VPC#${vpcId}`, sk: `HISTORY#${connectedAt}` }),
};

/** Description written on every security group rule spokelink creates (bounded to AWS's 255 characters). */
export function ruleDescription(vpcId: string, accountId: string): string {
  return `spokelink ${vpcId} ${accountId}`;
}
