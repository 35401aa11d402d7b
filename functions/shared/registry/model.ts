import type { QuarantinedCidr } from '../plan';
/**
 * The consumer registry's record: what spokelink created for one spoke VPC. Source of truth for overlap checks,
 * offboarding (remove exactly this) and chargeback (membership history). Stored in DynamoDB:
 * - current record:  pk = `VPC#<vpcId>`, sk = `CURRENT`
 * - history record:  pk = `VPC#<vpcId>`, sk = `HISTORY#<connectedAt ISO>` (written at offboarding, with `disconnectedAt`)
 * - GSI `byAccount`: accountId / sk; items carry `kind` = `current` | `history`.
 */

export interface RouteRecord {
  routeTableId: string;
  destinationCidr: string;
}

export interface ZoneRecord {
  endpoint: string;
  zoneId: string;
  zoneName: string;
}

/**
 * An interface endpoint spokelink created in the spoke VPC for a local service (placement `spoke`), with the security
 * group it made for it. Offboarding and rollback delete exactly these ids (never what tags claim: tags can be forged).
 */
export interface SpokeEndpointRecord {
  /** Catalog endpoint name. */
  endpoint: string;
  /** Absent until the endpoint is created (the group comes first). */
  vpcEndpointId?: string;
  securityGroupId: string;
}

/**
 * The VPC's association with the hub's Route 53 Profile (DNS mode `profile`). The Profile's owner cannot list its
 * consumers' associations, so the registry keeps the id; the spoke role reads it back (GetProfileAssociation).
 */
export interface ProfileAssociationRecord {
  profileId: string;
  associationId: string;
}

export interface SecurityGroupRuleRecord {
  endpoint: string;
  groupId: string;
  cidr: string;
  port: number;
  /** The description spokelink wrote: how offboarding finds exactly its own rule. */
  description: string;
  ruleId?: string;
}

export interface EndpointServicePrincipalRecord {
  serviceId: string;
  principal: string;
}

/**
 * A connection to a hub endpoint service that spokelink accepted for this VPC (its endpoint lives in the VPC): what
 * offboarding, or a change that drops the service, rejects. Recorded before the accept (write-ahead).
 */
export interface EndpointConnectionRecord {
  serviceId: string;
  vpcEndpointId: string;
}

export interface ConsumerRecord {
  vpcId: string;
  accountId: string;
  region: string;
  segment: string;
  /** Catalog names (endpoints and endpoint services) this VPC consumes. */
  services: string[];
  /** The endpoints among `services` served in the VPC itself (placement `spoke`); absent: none. */
  localServices?: string[];
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
