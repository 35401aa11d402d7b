import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { canonicalCidr, cidrContains, cidrsOverlap, familyOf, parseCidr } from './cidr';
import { containerCache } from './container-cache';
import { CROSS_REGION_AWS_SERVICES, CROSS_REGION_EXCLUDED_AZ_IDS, parseServiceName, partitionOf } from './cross-region';
import { configDigest } from './env';
import { ConfigurationError } from './errors';
import { invalidFile } from './zod-issues';

/**
 * The hub configuration: one typed file that the platform team owns. CDK reads it at synth time and bundles it,
 * validated, into every function's package (configFromEnv), the CLI reads it from `--config FILE`.
 * Validation errors name the bad field (`segments.prod.associationRouteTableId: ...`).
 */

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
const region = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1');
/** An IPv4 or IPv6 CIDR in canonical form (network address; IPv6 lower case, zeros compressed, as AWS shows it). */
const cidr = z.string().superRefine((value, ctx) => {
  let canonical: string | undefined;
  try {
    canonical = canonicalCidr(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/16 or 2600:1f18:abc:de00::/56',
    });
    return;
  }
  if (canonical !== value) ctx.addIssue({ code: 'custom', message: `must be written ${canonical}` });
});
const name = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,30}$/,
    'must be 1-31 lowercase letters, digits or hyphens, starting with a letter or digit',
  );
const ouId = z
  .string()
  .regex(/^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$/, 'must be an organizational unit id (ou-xxxx-xxxxxxxx)');

/**
 * One endpoint of a shard (`segments.<name>.shards[].endpoints.<catalog name>`): the shard's own interface endpoint
 * for that catalog entry, by its security group and private hosted zones (the catalog entry gives the ports and
 * everything else). No other shard, and no catalog entry, may hold the same group or zone: each is counted once.
 */
export const ShardEndpointSchema = z.strictObject({
  securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-...)'),
  privateHostedZoneIds: z
    .array(z.string().regex(/^Z[0-9A-Z]{1,32}$/, 'must be a Route 53 hosted zone id (Z...)'))
    .min(1),
});

/**
 * An endpoint shard (README, "Capacity planning"; functions/shared/shards.ts): a complete copy of what serves the
 * segment from the hub, for a share of its VPCs. `endpoints` names every hub-served catalog endpoint the segment may
 * use; profile mode adds the shard's own Route 53 Profile (`profileName`, holding its endpoints' zones; the hub stack
 * creates and shares it). A VPC is assigned to one shard at validation and stays there.
 */
export const ShardSchema = z.strictObject({
  name,
  endpoints: z.record(name, ShardEndpointSchema),
  profileName: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, hyphens, underscores or dots')
    .optional(),
});

export const SegmentSchema = z.strictObject({
  /** TGW route table the spoke attachment is associated with (exactly one). */
  associationRouteTableId: z.string().regex(/^tgw-rtb-[0-9a-f]{8,17}$/, 'must be a TGW route table id (tgw-rtb-...)'),
  /**
   * TGW route tables that route back to the segment's VPCs: one static route per claimed CIDR in each (never a
   * propagation, which would bring CIDRs added after validation). The name is kept for existing configurations.
   */
  propagationRouteTableIds: z
    .array(z.string().regex(/^tgw-rtb-[0-9a-f]{8,17}$/, 'must be a TGW route table id'))
    .default([]),
  /** Accounts that may use the segment; `*` for every account of the organization. */
  allowedAccounts: z.union([z.literal('*'), z.array(accountId)]).default([]),
  /** Organizational units (direct parents, or any ancestor) whose accounts may use the segment. */
  allowedOrganizationalUnits: z.array(ouId).default([]),
  /**
   * Aggregated ingress (README, "Capacity planning"): supernets of the segment (typically its IPAM pool CIDRs)
   * admitted ONCE on the security group of each endpoint the segment may use, by rules the hub stack owns. A VPC
   * block inside one of them gets no rule of its own; a block outside them gets its per-VPC rules as without this.
   * The trade-off: the endpoint's security group then admits every address of the supernet that can reach it over
   * the TGW, validated by spokelink or not (reaching it still takes an attachment and routes that only spokelink
   * creates). A block of another segment's VPC that overlaps a supernet is refused (`cidr-overlap`).
   */
  aggregatedIngress: z.array(cidr).default([]),
  /**
   * Endpoint shards (README, "Capacity planning"): when one endpoint cannot admit every VPC of the segment (rules per
   * interface, VPCs per zone or per Profile), several shards serve it, each VPC assigned to the least loaded one with
   * room and kept there. Absent: the catalog's endpoints serve the segment (one implicit shard, no counting).
   */
  shards: z.array(ShardSchema).optional(),
  /** Onboarding waits for an approval (`spokelink approve`) before it changes anything. */
  requiresApproval: z.boolean().default(false),
  description: z.string().max(256).optional(),
});

/**
 * Where a catalog endpoint serves a VPC (README, "Placement"): `hub` (the centralized endpoint, through the TGW),
 * `spoke` (an interface endpoint spokelink creates in the VPC itself, for every VPC that uses the service), `either`
 * (the hub unless the VPC asks for it locally with `spokelink:local-services`).
 */
export const PlacementSchema = z.enum(['hub', 'spoke', 'either']);
export type Placement = z.infer<typeof PlacementSchema>;

/**
 * AWS's limit on an endpoint policy document: 20,480 characters, white space included
 * (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html, "Considerations").
 */
export const MAX_ENDPOINT_POLICY_LENGTH = 20_480;

export const EndpointSchema = z.strictObject({
  /** Private hosted zones that resolve this service's names to the hub's endpoint (often exactly one). */
  privateHostedZoneIds: z
    .array(z.string().regex(/^Z[0-9A-Z]{1,32}$/, 'must be a Route 53 hosted zone id (Z...)'))
    .min(1),
  /** Security group of the interface endpoint: spoke CIDRs get ingress on `ports`. */
  securityGroupId: z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-...)'),
  ports: z.array(z.number().int().min(1).max(65535)).min(1).default([443]),
  /** Segments allowed to use this endpoint; absent means every segment. */
  segments: z.array(name).optional(),
  description: z.string().max(256).optional(),
  /** Where the service is served (absent: `hub`, as before placements existed). */
  placement: PlacementSchema.optional(),
  /** Per-segment placement overriding `placement` for that segment's VPCs. */
  segmentPlacement: z.record(name, PlacementSchema).optional(),
  /**
   * The AWS service name an endpoint in a spoke VPC is created for (`com.amazonaws.<region>.<service>`): needed as
   * soon as any segment may place the service in the spoke.
   */
  serviceName: z
    .string()
    .regex(
      /^com\.amazonaws\.[a-z0-9-]+\.[a-z0-9][a-z0-9.-]*$/,
      'must be an AWS service name (com.amazonaws.REGION.SERVICE)',
    )
    .optional(),
  /** The endpoint policy of the endpoints created in spoke VPCs (a policy document); absent: AWS's full-access default. */
  endpointPolicy: z
    .strictObject({
      Version: z.string().optional(),
      Id: z.string().optional(),
      Statement: z.array(z.record(z.string(), z.unknown())).min(1),
    })
    .refine((p) => JSON.stringify(p).length <= MAX_ENDPOINT_POLICY_LENGTH, {
      message: `is longer than the ${MAX_ENDPOINT_POLICY_LENGTH} characters AWS allows an endpoint policy`,
    })
    .optional(),
  /**
   * Cross-region PrivateLink (README, "Multi-region"; functions/shared/cross-region.ts): the region offering the
   * service when it is not the hub's. `serviceName` is then the service's name in that region, and the hub stack
   * creates the hub's interface endpoint to it (`ServiceRegion`) in `subnets` with `securityGroupId`, and the alias
   * record `recordName` in the entry's one zone; spokes use it through the TGW as any hub entry.
   */
  serviceRegion: region.optional(),
  /**
   * The regions the provider's service supports (its `SupportedRegions`, as the provider states them): needed for an
   * endpoint service of another region, and must include the hub's region (AWS refuses the endpoint otherwise).
   */
  supportedRegions: z.array(region).min(1).optional(),
  /** Cross-region entries: the hub VPC subnets of the endpoint, one per Availability Zone, with the zone's id. */
  subnets: z
    .array(
      z.strictObject({
        subnetId: z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id (subnet-...)'),
        availabilityZoneId: z
          .string()
          .regex(/^[a-z]{3,6}\d-az\d{1,2}$/, 'must be an Availability Zone id such as use1-az1'),
      }),
    )
    .min(1)
    .optional(),
  /** Cross-region entries: the name the entry's zone answers with the endpoint's Regional DNS name (alias A record). */
  recordName: z
    .string()
    .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS name such as api.example.com')
    .optional(),
});

/**
 * A hub-owned endpoint service (PrivateLink provider side) that spoke VPCs ask for by its catalog name, like an
 * endpoint: `spokelink:services` names it (or `*` selects it where its segments allow).
 */
export const EndpointServiceSchema = z.strictObject({
  serviceId: z.string().regex(/^vpce-svc-[0-9a-f]{8,17}$/, 'must be a VPC endpoint service id (vpce-svc-...)'),
  /**
   * Accept the pending connections of the endpoints that live in a VPC spokelink validated for this service (the
   * spoke role maps endpoint to VPC); any other connection stays pending and is reported.
   */
  acceptConnections: z.boolean().default(true),
  /** Segments allowed to use this service; absent means every segment. */
  segments: z.array(name).optional(),
  description: z.string().max(256).optional(),
});

const transitGatewayId = z.string().regex(/^tgw-[0-9a-f]{8,17}$/, 'must be a Transit Gateway id (tgw-...)');
const tgwRouteTableId = z.string().regex(/^tgw-rtb-[0-9a-f]{8,17}$/, 'must be a TGW route table id (tgw-rtb-...)');
/** The shared-services VPC holding a region's centralized endpoints. */
const hubVpcId = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id (vpc-...)');
/**
 * The supernets a region's spoke VPCs are allocated from: each VPC CIDR (IPv4; IPv6 only where IPv6 supernets are
 * listed) lies in one of them, or the VPC is rejected (`outside-supernets`). Regional supernets are disjoint, so a
 * CIDR claim made in the VPC's own region cannot collide with a claim made in another one.
 */
const supernets = z.array(cidr).max(50);

/**
 * Another region's hub this hub's TGW is peered with (a TGW peering attachment, which spokelink requests and
 * accepts). Nothing propagates across a peering
 * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html: "static routes only"), so spokelink keeps one static
 * route per supernet of the peer region, to the peering attachment, in each of `routeTableIds`: the association route
 * tables of the segments that may reach the peer's destinations, and the tables that route back to the hub VPC.
 * `associationRouteTableId`: the table this side associates the peering attachment with, which routes the traffic
 * arriving from the peer region (a table holding the routes back to this region's spokes, such as a segment's
 * `propagationRouteTableIds` table).
 */
export const PeerSchema = z.strictObject({
  routeTableIds: z.array(tgwRouteTableId).min(1),
  associationRouteTableId: tgwRouteTableId,
});

/*
 * A settings section left out of a file is read as `{}` (`.prefault({})`): its fields' own defaults apply, each
 * default stated once, on the field.
 */

/** The parts of a hub that each region has its own of: segments, destinations, catalog and DNS mode. */
const regionalShape = {
  segments: z.record(name, SegmentSchema).refine((s) => Object.keys(s).length > 0, 'at least one segment is needed'),
  defaultSegment: name,
  /** CIDRs that spoke VPCs route to through the TGW (the shared-services networks). */
  destinations: z.array(z.strictObject({ cidr, description: z.string().max(200).optional() })).min(1),
  /** The centralized-endpoint catalog: tag `spokelink:services` names its keys. */
  endpoints: z.record(name, EndpointSchema),
  /** Hub endpoint services, by catalog name (distinct from the `endpoints` names): `spokelink:services` names them. */
  endpointServices: z.record(name, EndpointServiceSchema).default({}),
  /**
   * How spoke VPCs resolve the catalog's private hosted zones (README, "DNS modes"):
   * - `zones` (default): each VPC is associated with each zone (Route 53 cross-account associations; 300 VPCs per
   *   zone by default, one association change per zone at a time);
   * - `profile`: the hub stack puts the zones in one Route 53 Profile (`profileName`, default `<prefix>-endpoints`),
   *   shares it through RAM with the organization (and `organization.externalAccounts`), and each VPC's account
   *   associates the Profile with the VPC (1,000 VPCs per Profile by default; one Profile per VPC). Profiles are
   *   regional: each region's hub has its own.
   */
  dns: z
    .strictObject({
      mode: z.enum(['zones', 'profile']).default('zones'),
      /** Name of the hub's Profile (profile mode); the functions find its id by this name. */
      profileName: z
        .string()
        .regex(/^[\w.-]{1,64}$/, 'must be 1-64 letters, digits, hyphens, underscores or dots')
        .optional(),
      /**
       * Profile mode, a VPC that already has another Route 53 Profile associated (the tenant's own: AWS allows one
       * Profile per VPC):
       * - `refuse` (default): rejected at validation (`profile-conflict`);
       * - `associate-zones`: the catalog is added to that VPC by associating the catalog's zones with it directly,
       *   as in zones mode; a directly associated zone takes precedence over a Profile's zone of the same name. The
       *   tenant's Profile is never written: it belongs to the tenant, who could share it further (README, "DNS
       *   modes").
       * @default 'refuse'
       */
      existingProfile: z.enum(['refuse', 'associate-zones']).default('refuse'),
    })
    .prefault({}),
};

/** The hub of another served region (`regions.<region>`): its TGW, hub VPC, supernets, peers, segments and catalog. */
export const RegionalHubSchema = z.strictObject({
  transitGatewayId,
  vpcId: hubVpcId,
  supernets: supernets.min(1),
  peers: z.record(region, PeerSchema).default({}),
  ...regionalShape,
});

export const HubConfigSchema = z
  .strictObject({
    /** The configuration schema (CONFIG_VERSION); older files are migrated in memory at load (migrateConfigDocument). */
    version: z.literal(3),
    /**
     * Prefix of every name spokelink creates (stacks, functions, table, execution names). CloudFormation stack names
     * start with a letter (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-using-console-create-stack-parameters.html).
     */
    prefix: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,30}$/,
        'must be 1-31 lowercase letters, digits or hyphens, starting with a letter (stack names start with one)',
      )
      .default('spokelink'),
    /**
     * The hub of the first served region (where the CLI's hub role and the registry of that region live); the other
     * served regions are under `regions`, each with its own hub. A Transit Gateway attaches VPCs of its own region
     * only (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html) and PrivateLink is regional, so
     * every served region has its own TGW, hub VPC, segments and catalog.
     */
    hub: z.strictObject({
      accountId,
      region,
      transitGatewayId,
      vpcId: hubVpcId,
      /** Needed as soon as another region is served (`regions`): then regional supernets keep CIDR claims apart. */
      supernets: supernets.default([]),
      peers: z.record(region, PeerSchema).default({}),
    }),
    organization: z.strictObject({
      id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id (o-...)'),
      /** The organization's management account: RAM names the organization by an ARN that contains it. */
      managementAccountId: accountId.optional(),
      /**
       * The hub stack shares the TGW with the whole organization (one RAM share, no invitations), so that a new
       * member account's first VPC does not wait for a per-account share to propagate. Default: on when
       * `managementAccountId` is set. Needs RAM sharing with AWS Organizations enabled by the management account.
       */
      shareTransitGateway: z.boolean().optional(),
      /** Where the spoke stack set auto-deploys (service-managed StackSet targets). */
      spokeOrganizationalUnits: z.array(z.union([ouId, z.string().regex(/^r-[0-9a-z]{4,32}$/)])).min(1),
      /** Accounts outside the organization that may still be onboarded (RAM invitations are accepted for them). */
      externalAccounts: z.array(accountId).default([]),
    }),
    /** The other served regions, each with its own hub (RegionalHubSchema); `regionalConfig` views one of them. */
    regions: z.record(region, RegionalHubSchema).default({}),
    spokeRole: z.strictObject({
      /** The read-write role; its read-only twin is `<name>-read` (spokeRoleName), so at most 59 characters. */
      name: z.string().regex(/^[\w+=,.@-]{1,59}$/, 'must be an IAM role name of at most 59 characters'),
      /** Shared secret-less guard against the confused deputy; not a credential, but never logged anyway. */
      externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of [\\w+=,.@:/-]'),
    }),
    ...regionalShape,
    registry: z.strictObject({ tableName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/) }).optional(),
    reconcile: z
      .strictObject({
        schedule: z.string().default('rate(1 hour)'),
        maxConcurrency: z.number().int().min(1).max(40).default(5),
      })
      .prefault({}),
    approvals: z
      .strictObject({ timeoutSeconds: z.number().int().min(60).max(31_536_000).default(86_400) })
      .prefault({}),
    notifications: z
      .strictObject({
        emails: z.array(z.email()).default([]),
        /** Failed executions are summed up per account: at most one message per account in this window. */
        failureWindowMinutes: z.number().int().min(1).max(1_440).default(15),
      })
      .prefault({}),
    /**
     * Per-account budgets on the hub's shared quotas (functions/validate/budgets.ts): a request that would take its
     * account over one is rejected (`budget-exceeded`), so that no tenant fills a quota every tenant shares.
     */
    budgets: z
      .strictObject({
        /** Inbound rules one account's VPCs may hold in each endpoint security group (AWS default quota 60). */
        securityGroupRulesPerAccount: z.number().int().min(1).max(1_000).default(20),
        /** VPCs of one account that may be associated with each endpoint private hosted zone (AWS default 300). */
        zoneAssociationsPerAccount: z.number().int().min(1).max(10_000).default(50),
        /**
         * VPCs of one account that may hold an attachment to the hub TGW (AWS's 5,000 per TGW, not adjustable: in
         * Profile mode with aggregated ingress no other budget bounds how much of it one tenant takes).
         */
        attachmentsPerAccount: z.number().int().min(1).max(5_000).default(100),
      })
      .prefault({}),
    /**
     * Capacity (README, "Capacity planning"): the reconcile publishes the hub's headroom on each quota a migration day
     * meets (`Headroom*` metrics, percent of the quota left; functions/shared/headroom.ts) and the hub stack alarms
     * to the failure topic when one falls below `headroomAlarmPercent`. `otherAttachments`: attachments of the hub
     * TGW the registry does not hold besides the peerings (the hub VPC's own, VPN, Connect), counted against its 5,000
     * with one peering attachment per configured peer of the region (`hub.peers`, functions/shared/attachment-quota.ts).
     * `raisedQuotas`:
     * adjustable quotas the hub's account had raised (AWS's defaults otherwise).
     */
    capacity: z
      .strictObject({
        headroomAlarmPercent: z.number().int().min(1).max(99).default(10),
        otherAttachments: z.number().int().min(0).max(5_000).default(1),
        raisedQuotas: z
          .strictObject({
            rulesPerSecurityGroup: z.number().int().min(60).max(1_000).optional(),
            vpcsPerHostedZone: z.number().int().min(300).max(10_000).optional(),
            vpcsPerProfile: z.number().int().min(1_000).max(10_000).optional(),
          })
          .default({}),
      })
      .prefault({}),
    /**
     * Fairness at intake (functions/dispatch/dispatch.ts): requests wait in a durable queue (the registry table), one
     * per VPC (a later event replaces an earlier one's: the latest tags win); a VPC runs one execution at a time,
     * each account at most `maxConcurrentExecutionsPerAccount` and the hub (this region's) at most
     * `maxConcurrentExecutions`; the rest wait, oldest first. `debounceSeconds` holds every request that long first,
     * so that a burst of tag changes becomes one execution (0: start at once; the changes made while it runs still
     * become one more, not one each).
     */
    intake: z
      .strictObject({
        maxConcurrentExecutionsPerAccount: z.number().int().min(1).max(100).default(10),
        /**
         * Onboardings and offboardings started from the queue running at once in the hub, all accounts together. The
         * hub's EC2 API buckets serve every onboarding (the hub account's accept, association and return route: 5
         * mutating calls a second by default); executions past what they can serve only retry throttled calls. The
         * default (1,000) never binds below 1,000 VPCs in flight; a migration day of thousands sizes it by Little's
         * law (README, "Capacity planning").
         */
        maxConcurrentExecutions: z.number().int().min(1).max(10_000).default(1_000),
        debounceSeconds: z.number().int().min(0).max(900).default(0),
      })
      .prefault({}),
    /**
     * Running the hub over time (docs/deploy.md, "Pausing the hub"). `paused`: no new onboarding starts and the
     * reconcile starts no change (no configuration rollout, no repair); offboardings go on. Onboarding requests wait
     * in the intake queue, kept and visible, and start once the flag is off again; a VPC asking to join meanwhile is
     * told `pending` (`paused by the platform team`) by the next reconcile. Executions already running finish.
     */
    operations: z
      .strictObject({
        paused: z.boolean().default(false),
        /**
         * Configuration rollouts (functions/reconcile/rollout.ts): the reconcile re-plans the members a configuration
         * change concerns in a canary batch of `canaryVpcs` first, and the rest only on a later run once every canary
         * ended and at most `maxCanaryFailures` of them failed; above that the rollout stops (status and a failure
         * notification say so) until the configuration changes again.
         */
        rollout: z
          .strictObject({
            canaryVpcs: z.number().int().min(1).max(250).default(5),
            maxCanaryFailures: z.number().int().min(0).max(250).default(0),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.organization.shareTransitGateway && config.organization.managementAccountId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['organization', 'shareTransitGateway'],
        message: 'needs organization.managementAccountId (the organization ARN RAM shares with names it)',
      });
    }
    for (const [path, hub, hubRegion] of hubsWithPaths(config)) {
      regionalIssues(hub, path, hubRegion, config.organization.managementAccountId !== undefined, ctx);
      shardIssues({ ...hub, prefix: config.prefix }, path, ctx);
    }
    regionIssues(config, ctx);
  });

type RegionalParts = z.infer<z.ZodObject<typeof regionalShape>>;

/**
 * Each served region's hub with the path its fields have in the file (the top level, then `regions.<region>`) and its
 * region.
 */
function hubsWithPaths(config: {
  hub: { region: string };
  regions: Record<string, RegionalParts>;
}): [(string | number)[], RegionalParts, string][] {
  return [
    [[], config as unknown as RegionalParts, config.hub.region],
    ...Object.entries(config.regions).map(([r, hub]): [(string | number)[], RegionalParts, string] => [
      ['regions', r],
      hub,
      r,
    ]),
  ];
}

/** The checks each regional hub passes on its own: default segment, catalog segments and names, security groups. */
function regionalIssues(
  config: RegionalParts,
  at: (string | number)[],
  hubRegion: string,
  hasManagementAccount: boolean,
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: [...at, ...path], message });
  if (config.dns.mode === 'profile' && !hasManagementAccount) {
    issue(
      ['dns', 'mode'],
      'profile mode shares the hub Profile with the organization through RAM: it needs ' +
        'organization.managementAccountId (the organization ARN names it)',
    );
  }
  if (!(config.defaultSegment in config.segments)) {
    issue(['defaultSegment'], `names no segment (${Object.keys(config.segments).join(', ')})`);
  }
  sharedSecurityGroupIssues(config, at, ctx);
  aggregatedIngressIssues(config, at, ctx);
  placementIssues(config, at, ctx);
  crossRegionIssues(config, hubRegion, issue);
  const catalogs = [
    ['endpoints', config.endpoints],
    ['endpointServices', config.endpointServices],
  ] as const;
  for (const [field, catalog] of catalogs) {
    for (const [entryName, entry] of Object.entries(catalog)) {
      for (const segment of entry.segments ?? []) {
        if (!(segment in config.segments)) issue([field, entryName, 'segments'], `unknown segment "${segment}"`);
      }
    }
  }
  const serviceOwner = new Map<string, string>();
  for (const [serviceName, service] of Object.entries(config.endpointServices)) {
    // One tag value must name one thing: an endpoint and an endpoint service of the same name would be ambiguous.
    if (serviceName in config.endpoints) {
      issue(
        ['endpointServices', serviceName],
        `"${serviceName}" is also an endpoint name: catalog names must be unique across endpoints and endpointServices`,
      );
    }
    const other = serviceOwner.get(service.serviceId);
    if (other !== undefined) {
      issue(['endpointServices', serviceName, 'serviceId'], `${service.serviceId} is already configured as "${other}"`);
    }
    serviceOwner.set(service.serviceId, serviceName);
  }
}

/**
 * Catalog entries of a service of another region (cross-region PrivateLink: functions/shared/cross-region.ts, whose
 * pages say what AWS refuses): a service name of another region needs `serviceRegion`; a cross-region entry names a
 * service of that region, of one partition with the hub, that AWS offers across regions and whose supported regions
 * include the hub's; it is served from the hub, by an endpoint in `subnets` (none in an Availability Zone id AWS
 * excludes), answered by `recordName` in its one zone; it is not sharded.
 */
function crossRegionIssues(
  config: RegionalParts,
  hubRegion: string,
  issue: (path: (string | number)[], message: string) => void,
): void {
  for (const [name, endpoint] of Object.entries(config.endpoints)) {
    const at = ['endpoints', name];
    const parsed = endpoint.serviceName === undefined ? undefined : parseServiceName(endpoint.serviceName);
    const serviceRegion = endpoint.serviceRegion;
    if (serviceRegion === undefined) {
      if (parsed !== undefined && parsed.region !== hubRegion) {
        issue(
          [...at, 'serviceName'],
          `${endpoint.serviceName} is a service of ${parsed.region}, not of ${hubRegion}: a service of another ` +
            `region is reached through a cross-region endpoint, set serviceRegion to ${parsed.region}`,
        );
      }
      for (const field of ['supportedRegions', 'subnets', 'recordName'] as const) {
        if (endpoint[field] !== undefined)
          issue([...at, field], 'describes a cross-region endpoint: it needs serviceRegion');
      }
      continue;
    }
    if (serviceRegion === hubRegion) {
      issue(
        [...at, 'serviceRegion'],
        `is the hub's own region (${hubRegion}): leave it out for a service of ${hubRegion}`,
      );
      continue;
    }
    if (partitionOf(serviceRegion) !== partitionOf(hubRegion)) {
      issue(
        [...at, 'serviceRegion'],
        `${serviceRegion} is in partition ${partitionOf(serviceRegion)}, ${hubRegion} in ${partitionOf(hubRegion)}: ` +
          'cross-region PrivateLink connects regions of one partition',
      );
    }
    if (parsed === undefined) {
      issue(
        [...at, 'serviceName'],
        `is needed with serviceRegion: the service's name in ${serviceRegion} (com.amazonaws.vpce.${serviceRegion}.` +
          `vpce-svc-... or com.amazonaws.${serviceRegion}.<service>)`,
      );
    } else if (parsed.region !== serviceRegion) {
      issue(
        [...at, 'serviceName'],
        `${endpoint.serviceName} is a service of ${parsed.region}, not of ${serviceRegion}`,
      );
    } else if (parsed.kind === 'aws-service' && !CROSS_REGION_AWS_SERVICES.includes(parsed.service)) {
      issue(
        [...at, 'serviceName'],
        `${parsed.service} is not offered across regions by AWS (${CROSS_REGION_AWS_SERVICES.join(', ')} are): ` +
          `serve it from a ${hubRegion} endpoint`,
      );
    }
    if (endpoint.supportedRegions === undefined) {
      if (parsed?.kind !== 'aws-service') {
        issue(
          [...at, 'supportedRegions'],
          `is needed for an endpoint service of another region: the provider's SupportedRegions, which must ` +
            `include ${hubRegion}`,
        );
      }
    } else if (!endpoint.supportedRegions.includes(hubRegion)) {
      issue(
        [...at, 'supportedRegions'],
        `${endpoint.supportedRegions.join(', ')} does not include ${hubRegion}: AWS refuses a ${hubRegion} endpoint ` +
          `to a service that does not support ${hubRegion} (its provider adds it: ModifyVpcEndpointServiceConfiguration ` +
          'AddSupportedRegions)',
      );
    }
    const placements = [endpoint.placement ?? 'hub', ...Object.values(endpoint.segmentPlacement ?? {})];
    if (placements.some((p) => p !== 'hub')) {
      issue(
        [...at, endpoint.placement !== undefined && endpoint.placement !== 'hub' ? 'placement' : 'segmentPlacement'],
        'a cross-region service is served from the hub only (the hub stack creates its one cross-region endpoint)',
      );
    }
    subnetIssues(endpoint.subnets, [...at, 'subnets'], issue);
    if (endpoint.recordName === undefined) {
      issue(
        [...at, 'recordName'],
        "is needed with serviceRegion: the name the entry's zone answers with the endpoint's Regional DNS name " +
          '(AWS gives a cross-region endpoint no zonal names)',
      );
    }
    if (endpoint.privateHostedZoneIds.length !== 1) {
      issue(
        [...at, 'privateHostedZoneIds'],
        'must name exactly one zone for a cross-region entry: the hub stack writes its alias record there',
      );
    }
    for (const [segment, { shards }] of Object.entries(config.segments)) {
      for (const [i, shard] of (shards ?? []).entries()) {
        if (name in shard.endpoints) {
          issue(
            ['segments', segment, 'shards', i, 'endpoints', name],
            'is a cross-region entry: the hub stack creates one cross-region endpoint per entry, not one per shard',
          );
        }
      }
    }
  }
}

/**
 * The subnets of a cross-region endpoint: given, one per Availability Zone (as every interface endpoint), and none in
 * an Availability Zone id where AWS creates no cross-region endpoint (CROSS_REGION_EXCLUDED_AZ_IDS).
 */
function subnetIssues(
  subnets: { subnetId: string; availabilityZoneId: string }[] | undefined,
  at: (string | number)[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  if (subnets === undefined) {
    issue(
      at,
      'is needed with serviceRegion: the hub VPC subnets the hub stack creates the cross-region endpoint in, each ' +
        'with its Availability Zone id',
    );
    return;
  }
  const zones = subnets.map((s) => s.availabilityZoneId);
  const twice = zones.filter((z, i) => zones.indexOf(z) !== i);
  if (twice.length > 0)
    issue(at, `two subnets in ${[...new Set(twice)].join(', ')}: an endpoint has one subnet per zone`);
  const excluded = [...new Set(zones.filter((z) => CROSS_REGION_EXCLUDED_AZ_IDS.includes(z)))];
  if (excluded.length > 0) {
    issue(
      at,
      `${excluded.join(', ')}: AWS creates no cross-region endpoint in Availability Zone ids ` +
        `${CROSS_REGION_EXCLUDED_AZ_IDS.join(', ')}; use subnets of other zones`,
    );
  }
}

/**
 * The checks across regions: `regions` lists the other regions (the hub's own is the top level); with several
 * regions every region has supernets and they are disjoint (a CIDR claim is made in the VPC's region only, so two
 * regions must never be able to claim the same addresses); peers are served regions, peered both ways.
 */
function regionIssues(
  config: {
    hub: { region: string; supernets: string[]; peers: Record<string, unknown> };
    regions: Record<string, { supernets: string[]; peers: Record<string, unknown> }>;
  },
  ctx: z.RefinementCtx,
): void {
  const home = config.hub.region;
  const served = new Map<string, { supernets: string[]; peers: Record<string, unknown>; path: string[] }>([
    [home, { ...config.hub, path: ['hub'] }],
  ]);
  for (const [r, hub] of Object.entries(config.regions)) {
    if (r === home) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', r],
        message: `${r} is the hub's region: its hub is described by hub, segments, endpoints and dns, not under regions`,
      });
      continue;
    }
    served.set(r, { ...hub, path: ['regions', r] });
  }
  if (served.size > 1 && config.hub.supernets.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['hub', 'supernets'],
      message:
        `${home} needs its supernets when several regions are served: each region allocates its spokes from ` +
        'its own disjoint supernets, so that CIDR claims need no cross-region agreement',
    });
  }
  const seen: { region: string; cidr: string }[] = [];
  for (const [r, hub] of served) {
    for (const [i, supernet] of hub.supernets.entries()) {
      const clash = seen.find((s) => cidrsOverlap(s.cidr, supernet));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: [...hub.path, 'supernets', i],
          message:
            `${supernet} (${r}) overlaps ${clash.cidr} (${clash.region}): regional supernets must be disjoint, ` +
            'since each region claims CIDRs on its own',
        });
      }
      seen.push({ region: r, cidr: supernet });
    }
    for (const peer of Object.keys(hub.peers)) {
      const other = served.get(peer);
      const problem =
        peer === r
          ? 'a hub cannot peer with itself'
          : other === undefined
            ? `${peer} is not a served region (${[...served.keys()].join(', ')})`
            : !(r in other.peers)
              ? `${peer} does not list ${r} among its peers: a TGW peering has two sides, each with its static routes`
              : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: [...hub.path, 'peers', peer], message: problem });
    }
  }
}

/**
 * An endpoint's security group is the only per-service control: two endpoints that different segments may use cannot
 * share one, or a spoke of one segment would reach the other segment's endpoint through the rule added for its own.
 */
function sharedSecurityGroupIssues(
  config: { endpoints: Record<string, { securityGroupId: string; segments?: string[] | undefined }> },
  at: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const first = new Map<string, string>();
  const segmentsOf = (endpoint: { segments?: string[] | undefined }) =>
    endpoint.segments === undefined ? '*' : [...new Set(endpoint.segments)].sort().join(',');
  for (const [endpointName, endpoint] of Object.entries(config.endpoints)) {
    const other = first.get(endpoint.securityGroupId);
    if (other === undefined) {
      first.set(endpoint.securityGroupId, endpointName);
      continue;
    }
    if (segmentsOf(config.endpoints[other]!) !== segmentsOf(endpoint)) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'endpoints', endpointName, 'securityGroupId'],
        message:
          `${endpoint.securityGroupId} is also the security group of endpoint ${other}, which other segments may use: ` +
          'security groups are the only per-service control, so endpoints of different segments need their own',
      });
    }
  }
}

/**
 * Aggregated ingress supernets: never a whole address family (it would admit every address, not a segment's pools),
 * and never overlapping another segment's (a supernet stands for its segment's address space: a VPC in it is refused
 * to every other segment, which needs the spaces apart).
 */
function aggregatedIngressIssues(
  config: { segments: Record<string, { aggregatedIngress: string[] }> },
  at: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const seen: { segment: string; cidr: string }[] = [];
  for (const [segmentName, segment] of Object.entries(config.segments)) {
    for (const [i, supernet] of segment.aggregatedIngress.entries()) {
      const path = [...at, 'segments', segmentName, 'aggregatedIngress', i];
      let block: ReturnType<typeof parseCidr>;
      try {
        block = parseCidr(supernet);
      } catch {
        continue; // the CIDR's own issue says why
      }
      if (block.prefix < 8) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${supernet} is larger than a /8: name the segment's pools (for example 10.64.0.0/10)`,
        });
      }
      const other = seen.find((s) => cidrsOverlap(s.cidr, supernet));
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path,
          message:
            `${supernet} overlaps ${other.cidr} of ${other.segment === segmentName ? 'the same segment' : `segment ${other.segment}`}: ` +
            'supernets must be disjoint',
        });
      }
      seen.push({ segment: segmentName, cidr: supernet });
    }
  }
}

/**
 * Shards that cannot work: none declared, two of one name, an endpoint the catalog lacks or the segment may not use,
 * a hub-served endpoint of the segment a shard lacks (its VPCs would miss it), a security group or zone another shard
 * or the catalog already holds (its capacity would be counted twice, or a VPC admitted on another segment's
 * endpoint), a Profile in zones mode, a shard without its own Profile in profile mode.
 */
function shardIssues(
  config: Pick<HubConfig, 'segments' | 'endpoints' | 'dns' | 'prefix'>,
  at: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  const catalogGroups = new Map(Object.entries(config.endpoints).map(([n, e]) => [e.securityGroupId, n]));
  const catalogZones = new Map(
    Object.entries(config.endpoints).flatMap(([n, e]) => e.privateHostedZoneIds.map((z) => [z, n] as const)),
  );
  const groupOwner = new Map<string, string>();
  const zoneOwner = new Map<string, string>();
  const profileOwner = new Map<string, string>([[hubProfileName(config), "the hub's Profile"]]);
  for (const [segmentName, segment] of Object.entries(config.segments)) {
    if (segment.shards === undefined) continue;
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path: [...at, 'segments', segmentName, 'shards', ...path], message });
    if (segment.shards.length === 0) issue([], 'declare at least one shard, or leave shards out');
    const hubServed = Object.entries(config.endpoints)
      .filter(([, e]) => e.segments === undefined || e.segments.includes(segmentName))
      .filter(([, e]) => placementOf(e, segmentName) !== 'spoke')
      .map(([n]) => n);
    const seen = new Set<string>();
    for (const [i, shard] of segment.shards.entries()) {
      const label = `shard ${shard.name} of segment ${segmentName}`;
      if (seen.has(shard.name)) issue([i, 'name'], `"${shard.name}" names two shards of the segment`);
      seen.add(shard.name);
      for (const [endpointName, resources] of Object.entries(shard.endpoints)) {
        const endpoint = Object.hasOwn(config.endpoints, endpointName) ? config.endpoints[endpointName] : undefined;
        if (!endpoint) {
          issue([i, 'endpoints', endpointName], `unknown endpoint "${endpointName}" (not in the catalog)`);
          continue;
        }
        if (!hubServed.includes(endpointName)) {
          issue(
            [i, 'endpoints', endpointName],
            `segment ${segmentName} does not use ${endpointName} from the hub (not in its segments, or placed in the spoke)`,
          );
        }
        const group = resources.securityGroupId;
        const groupHeld = catalogGroups.has(group)
          ? `endpoint ${catalogGroups.get(group)} of the catalog`
          : groupOwner.get(group) !== undefined && groupOwner.get(group) !== label
            ? groupOwner.get(group)
            : undefined;
        if (groupHeld) {
          issue(
            [i, 'endpoints', endpointName, 'securityGroupId'],
            `${group} is already the security group of ${groupHeld}: each shard needs its own (its rules are counted per shard)`,
          );
        }
        groupOwner.set(group, label);
        for (const [j, zoneId] of resources.privateHostedZoneIds.entries()) {
          const held = catalogZones.has(zoneId)
            ? `endpoint ${catalogZones.get(zoneId)} of the catalog`
            : zoneOwner.get(zoneId);
          if (held) {
            issue(
              [i, 'endpoints', endpointName, 'privateHostedZoneIds', j],
              `${zoneId} is already a zone of ${held}: each shard needs its own (its VPCs are counted per shard)`,
            );
          }
          zoneOwner.set(zoneId, label);
        }
      }
      for (const missing of hubServed.filter((n) => !Object.hasOwn(shard.endpoints, n))) {
        issue(
          [i, 'endpoints'],
          `lacks endpoint ${missing}, which segment ${segmentName} uses from the hub: every shard serves all of them`,
        );
      }
      if (config.dns.mode === 'zones' && shard.profileName !== undefined) {
        issue([i, 'profileName'], 'names a Route 53 Profile, which DNS mode zones does not use: leave it out');
      }
      if (config.dns.mode === 'profile') {
        if (shard.profileName === undefined) {
          issue([i, 'profileName'], 'is needed in DNS mode profile: a shard is a whole Profile of its own');
        } else if (profileOwner.has(shard.profileName)) {
          issue([i, 'profileName'], `${shard.profileName} is already ${profileOwner.get(shard.profileName)}`);
        } else {
          profileOwner.set(shard.profileName, `the Profile of ${label}`);
        }
      }
    }
  }
}

/**
 * Placement fields that cannot work: a per-segment placement for a segment that does not exist or may not use the
 * endpoint, spoke placement without the AWS service name to create the endpoint for.
 */
function placementIssues(
  config: { segments: Record<string, unknown>; endpoints: Record<string, z.infer<typeof EndpointSchema>> },
  at: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  for (const [endpointName, endpoint] of Object.entries(config.endpoints)) {
    for (const segment of Object.keys(endpoint.segmentPlacement ?? {})) {
      const why = !(segment in config.segments)
        ? `unknown segment "${segment}"`
        : endpoint.segments !== undefined && !endpoint.segments.includes(segment)
          ? `segment "${segment}" may not use ${endpointName} (not in its segments)`
          : undefined;
      if (why)
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'endpoints', endpointName, 'segmentPlacement', segment],
          message: why,
        });
    }
    const placements = [endpoint.placement ?? 'hub', ...Object.values(endpoint.segmentPlacement ?? {})];
    if (placements.some((p) => p !== 'hub') && endpoint.serviceName === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'endpoints', endpointName, 'serviceName'],
        message: 'is needed when a segment may place the endpoint in the spoke (placement spoke or either)',
      });
    }
  }
}

/** The placement of a catalog endpoint for a segment's VPCs: its `segmentPlacement` entry, else `placement`. */
export function placementOf(endpoint: Pick<Endpoint, 'placement' | 'segmentPlacement'>, segment: string): Placement {
  return endpoint.segmentPlacement?.[segment] ?? endpoint.placement ?? 'hub';
}

/**
 * The AWS service names of the catalog endpoints some segment may place in the spoke, sorted: the only services the
 * spoke role may create (and delete) interface endpoints for (`ec2:VpceServiceName`).
 */
export function spokeServiceNames(config: { endpoints: Record<string, z.infer<typeof EndpointSchema>> }): string[] {
  const placeable = Object.values(config.endpoints).filter((e) =>
    [e.placement ?? 'hub', ...Object.values(e.segmentPlacement ?? {})].some((p) => p !== 'hub'),
  );
  return [...new Set(placeable.flatMap((e) => (e.serviceName ? [e.serviceName] : [])))].sort();
}

export type HubConfig = z.infer<typeof HubConfigSchema>;
export type Segment = z.infer<typeof SegmentSchema>;
export type Endpoint = z.infer<typeof EndpointSchema>;
export type EndpointService = z.infer<typeof EndpointServiceSchema>;

export type RegionalHub = z.infer<typeof RegionalHubSchema>;

/** Regions served: the hub's region, then the other regions (`regions`), each with its own hub. */
export function servedRegions(config: Pick<HubConfig, 'hub' | 'regions'>): string[] {
  return [config.hub.region, ...Object.keys(config.regions)];
}

/** A served region's hub as a RegionalHub (the top level's for the hub's own region). */
export function regionalHubOf(config: HubConfig, region: string): RegionalHub {
  if (region !== config.hub.region) {
    const hub = config.regions[region];
    if (!hub) throw new ConfigurationError(`${region} is not a served region (${servedRegions(config).join(', ')})`);
    return hub;
  }
  const { transitGatewayId, vpcId, supernets, peers } = config.hub;
  const { segments, defaultSegment, destinations, endpoints, endpointServices, dns } = config;
  return {
    transitGatewayId,
    vpcId,
    supernets,
    peers,
    segments,
    defaultSegment,
    destinations,
    endpoints,
    endpointServices,
    dns,
  };
}

/**
 * The configuration as the hub of `region` reads it: that region's hub at the top level (hub, segments, catalog,
 * DNS mode) and the others, the first region's included, under `regions`. Lossless and itself a valid configuration,
 * so every function written for one hub serves any region, and `regionalConfig(regionalConfig(c, r), c.hub.region)`
 * is `c` again (up to the order of `regions`).
 */
export function regionalConfig(config: HubConfig, region: string): HubConfig {
  if (region === config.hub.region) return config;
  const hub = regionalHubOf(config, region);
  const { [region]: _self, ...others } = config.regions;
  const { transitGatewayId, vpcId, supernets, peers, ...parts } = hub;
  return {
    ...config,
    ...parts,
    hub: { accountId: config.hub.accountId, region, transitGatewayId, vpcId, supernets, peers },
    regions: { [config.hub.region]: regionalHubOf(config, config.hub.region), ...others },
  };
}

/** The region whose supernets contain `cidr` (IPv4 or IPv6), if any. */
export function supernetRegionOf(config: HubConfig, cidr: string): string | undefined {
  return servedRegions(config).find((r) =>
    regionalHubOf(config, r).supernets.some((s) => familyOf(s) === familyOf(cidr) && cidrContains(s, cidr)),
  );
}

/** The hub TGW's ARN (`partition` is a CloudFormation token in the CDK app). */
export function transitGatewayArn(config: HubConfig, partition = 'aws'): string {
  return `arn:${partition}:ec2:${config.hub.region}:${config.hub.accountId}:transit-gateway/${config.hub.transitGatewayId}`;
}

/** The RAM share of the TGW with the whole organization, as the hub stack deploys it. */
export interface OrganizationShare {
  /** `<prefix>-tgw-organization`. */
  name: string;
  /** `arn:aws:organizations::<management account>:organization/<id>`: the share's only principal. */
  organizationArn: string;
  /** The hub TGW: the share's only resource. */
  transitGatewayArn: string;
  /** Always false: accounts outside the organization use the per-account share `<prefix>-tgw` and its invitation. */
  allowExternalPrincipals: false;
  tags: { key: string; value: string }[];
}

/**
 * The organization share of the TGW when the configuration asks for it (`organization.shareTransitGateway`, on by
 * default when `organization.managementAccountId` is set), else undefined.
 */
/** Which spoke role a step assumes: `write` changes the VPC's network, `read` only describes it. */
export type SpokeAccess = 'read' | 'write';

/** Name of the spoke role of an access level: `<spokeRole.name>` (write) or `<spokeRole.name>-read`. */
export function spokeRoleName(config: Pick<HubConfig, 'spokeRole'>, access: SpokeAccess): string {
  return access === 'write' ? config.spokeRole.name : `${config.spokeRole.name}-read`;
}

export function organizationShareOf(config: HubConfig, partition = 'aws'): OrganizationShare | undefined {
  const { managementAccountId, shareTransitGateway, id } = config.organization;
  if (managementAccountId === undefined || shareTransitGateway === false) return undefined;
  return {
    name: `${config.prefix}-tgw-organization`,
    organizationArn: `arn:${partition}:organizations::${managementAccountId}:organization/${id}`,
    transitGatewayArn: transitGatewayArn(config, partition),
    allowExternalPrincipals: false,
    tags: [{ key: 'spokelink:managed', value: 'true' }],
  };
}

/** The DNS mode of the hub: `zones` (direct zone associations) or `profile` (one Route 53 Profile per VPC). */
export type DnsMode = 'zones' | 'profile';

/** The hub's Route 53 Profile name (profile mode): `dns.profileName` or `<prefix>-endpoints`. */
export function hubProfileName(config: Pick<HubConfig, 'prefix' | 'dns'>): string {
  return config.dns.profileName ?? `${config.prefix}-endpoints`;
}

/** `<prefix>-tgw`: the per-account RAM share of the TGW (accounts outside the organization accept its invitation). */
export const tgwShareName = (config: Pick<HubConfig, 'prefix'>): string => `${config.prefix}-tgw`;

/** `<prefix>-profile`: the RAM share of the hub's Route 53 Profile (an outside account accepts its invitation). */
export const profileShareName = (config: Pick<HubConfig, 'prefix'>): string => `${config.prefix}-profile`;

/** The RAM share of the hub's Route 53 Profile (DNS mode `profile`), as the hub stack deploys it. */
export interface ProfileShare {
  /** `<prefix>-profile`. */
  name: string;
  /** The hub's Profile name (its id is known once deployed). */
  profileName: string;
  /** The organization (every member account sees the Profile, no invitation). */
  organizationArn: string;
  /** Outside accounts (`organization.externalAccounts`): RAM invites them. */
  externalAccounts: string[];
  allowExternalPrincipals: boolean;
  /** The catalog's private hosted zones the Profile holds (every endpoint's, sorted). */
  zoneIds: string[];
  tags: { key: string; value: string }[];
}

/** What the hub stack deploys in profile mode (undefined in zones mode). */
export function profileShareOf(config: HubConfig, partition = 'aws'): ProfileShare | undefined {
  const { managementAccountId, id, externalAccounts } = config.organization;
  if (config.dns.mode !== 'profile' || managementAccountId === undefined) return undefined;
  return {
    name: profileShareName(config),
    profileName: hubProfileName(config),
    organizationArn: `arn:${partition}:organizations::${managementAccountId}:organization/${id}`,
    externalAccounts: [...externalAccounts],
    allowExternalPrincipals: externalAccounts.length > 0,
    zoneIds: [...new Set(Object.values(config.endpoints).flatMap((e) => e.privateHostedZoneIds))].sort(),
    tags: [{ key: 'spokelink:managed', value: 'true' }],
  };
}

/** Name of the consumer registry table. */
export function registryTableName(config: HubConfig): string {
  return config.registry?.tableName ?? `${config.prefix}-registry`;
}

/** The configuration schema this spokelink writes and reads (`version`); older versions are migrated at load. */
export const CONFIG_VERSION = 3;

const UPGRADING = 'docs/deploy.md, "Upgrading"';

/**
 * A configuration document of an older version as the current version reads it, in memory (the file is not
 * changed), or a ConfigurationError saying how to update it:
 * - 1 -> 2: `operations` added (defaults); nothing renamed. Version 1 files of the releases before catalog names
 *   listed `endpointServices` as an array: that form is refused, with how to name the services (a name changes
 *   which VPCs get a service, so a person chooses it).
 * - 2 -> 3: a version 2 file describes one region's hub, which is the single-region version 3 file with the same
 *   fields (no supernets, no peers); its `regions` list could only name the hub's region and is dropped. A list
 *   naming another region is refused, saying how version 3 serves it (`regions.<region>` with that region's hub).
 * A missing or newer version is refused (a newer file may mean something this spokelink cannot do).
 */
export function migrateConfigDocument(raw: unknown, source = 'configuration'): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const document = raw as Record<string, unknown>;
  const version = document.version;
  if (version === CONFIG_VERSION) return raw;
  const refuse = (field: string, message: string) =>
    new ConfigurationError(`${source} is invalid:\n  ${field}: ${message}`);
  if (version === undefined) {
    throw refuse(
      'version',
      `missing: this spokelink reads versions 1-${CONFIG_VERSION}; add "version": ${CONFIG_VERSION} (${UPGRADING})`,
    );
  }
  if (version !== 1 && version !== 2) {
    throw refuse(
      'version',
      `${JSON.stringify(version)} is not a version this spokelink reads (1-${CONFIG_VERSION}): a newer file needs ` +
        `the spokelink release that wrote it; an older one is migrated by the release after it (${UPGRADING})`,
    );
  }
  if (version === 1 && Array.isArray(document.endpointServices)) {
    const first = (document.endpointServices[0] as { serviceId?: unknown } | undefined)?.serviceId;
    throw refuse(
      'endpointServices',
      'the version 1 list is not read any more: give each service a ' +
        `catalog name, as in "endpointServices": { "payments-api": { "serviceId": ${JSON.stringify(first ?? 'vpce-svc-...')} } }, ` +
        'add "segments" to limit it, and add its name to spokelink:services of the VPCs that use it (version 1 ' +
        'allowed every connected account on every listed service; now a VPC gets a service it names, or every one ' +
        `its segment may use with "*"); then set "version": ${CONFIG_VERSION} (${UPGRADING})`,
    );
  }
  const { regions, ...rest } = document;
  if (regions !== undefined) {
    const hubRegion = (document.hub as { region?: unknown } | undefined)?.region;
    if (!Array.isArray(regions)) throw refuse('regions', `must be a list of regions in a version ${version} file`);
    for (const [i, served] of regions.entries()) {
      if (served === hubRegion) continue;
      throw refuse(
        `regions.${i}`,
        `${String(served)} is not the hub's region (${String(hubRegion)}): the hub's Transit Gateway can ` +
          `attach VPCs of its own region only. To serve ${String(served)}, set "version": ${CONFIG_VERSION} ` +
          `and describe its hub under "regions": { ${JSON.stringify(served)}: { "transitGatewayId": ..., "vpcId": ..., ` +
          `"supernets": [...], "segments": ..., "endpoints": ... } }, with "hub.supernets" for ${String(hubRegion)} (${UPGRADING})`,
      );
    }
  }
  return { ...rest, version: CONFIG_VERSION };
}

/** Validates a parsed configuration (migrated from an older version first); the error lists every bad field. */
export function parseConfig(raw: unknown, source = 'configuration'): HubConfig {
  const result = HubConfigSchema.safeParse(migrateConfigDocument(raw, source));
  if (!result.success) {
    throw new ConfigurationError(invalidFile(`${source} is invalid`, result.error));
  }
  return result.data;
}

/** Reads and validates a configuration file. */
export function loadConfigFile(path: string): HubConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read configuration ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path);
}

/**
 * Parsed configurations by file, digest and region. In Lambda one entry; the local runner of several regions runs
 * each region's functions in one process, each reading its own region's view.
 */
const cached = containerCache<string, HubConfig>();

/**
 * The Lambda's configuration: the file its package carries (`SPOKELINK_CONFIG_FILE`, written by the hub stack's
 * bundling; functions/shared/env.ts), checked against the digest its environment was deployed with
 * (`SPOKELINK_CONFIG_SHA256`), read as the hub of the region the function runs in (`AWS_REGION`, set by Lambda):
 * every regional hub deploys the same configuration, and each serves its own region (regionalConfig). A region the
 * configuration does not serve reads the first region's hub. Read and parsed once per container (per file, digest
 * and region): a configuration change reaches a function by a deployment, which replaces its package.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const file = env.SPOKELINK_CONFIG_FILE;
  if (!file) throw new ConfigurationError('SPOKELINK_CONFIG_FILE is not set');
  const digest = env.SPOKELINK_CONFIG_SHA256;
  if (!digest) throw new ConfigurationError('SPOKELINK_CONFIG_SHA256 is not set');
  const region = env.AWS_REGION;
  const key = JSON.stringify([file, digest, region]);
  const hit = env === process.env ? cached.get(key) : undefined;
  if (hit) return hit;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read the configuration ${file}: ${(error as Error).message}`);
  }
  if (configDigest(text) !== digest) {
    throw new ConfigurationError(
      `${file} is not the configuration this function was deployed with (SHA-256 ${configDigest(text)}, the ` +
        `environment says ${digest}): deploy the hub stack again`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseConfig(raw, file);
  const config =
    region !== undefined && servedRegions(parsed).includes(region) ? regionalConfig(parsed, region) : parsed;
  if (env === process.env) {
    if (cached.size >= 16) cached.clear();
    cached.set(key, config);
  }
  return config;
}

/** Forgets the cached configuration (tests and the local runner switch configurations). */
export function resetConfigCache(): void {
  cached.clear();
}
