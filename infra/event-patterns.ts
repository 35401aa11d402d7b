/**
 * The EventBridge patterns that start spokelink, as plain objects: the hub rules, the spoke forwarding rules and the
 * local EventBridge simulator all use exactly these. No CDK imports here, on purpose.
 *
 * Matching semantics (EventBridge): every field listed must match; a list matches when any element matches; when the
 * event's value is itself a list (`changed-tag-keys`), the field matches when the two lists share an element.
 */
import { RequestTag } from '#shared/tags';

/** An EventBridge event pattern (the JSON subset spokelink uses). */
export interface EventPattern {
  readonly [field: string]: readonly (string | number | Readonly<Record<string, unknown>>)[] | EventPattern;
}

/** Request tag keys whose change starts work; status keys (`spokelink:status` ...) are deliberately absent. */
export const REQUEST_KEYS: readonly string[] = [
  RequestTag.connect,
  RequestTag.segment,
  RequestTag.services,
  RequestTag.localServices,
];

/**
 * A request tag was added, changed or removed on a VPC (`aws.tag` "Tag Change on Resource"). Status-only changes
 * (spokelink writing `spokelink:status|detail|execution`) do not match, so the workflow never triggers itself.
 * Delivery is best effort (EventBridge events reference, Tags events:
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-tag.html): the scheduled reconcile repairs lost ones.
 */
export const TAG_CHANGE_PATTERN = {
  source: ['aws.tag'],
  'detail-type': ['Tag Change on Resource'],
  detail: {
    service: ['ec2'],
    'resource-type': ['vpc'],
    'changed-tag-keys': [...REQUEST_KEYS],
  },
} as const satisfies EventPattern;

/**
 * VPC creation and deletion, and CIDR changes, from CloudTrail (`aws.ec2` "AWS API Call via CloudTrail").
 *
 * CreateVpc: AWS documents the tag event for "any change to a tag including individual service APIs, Tag Editor, and
 * the Tagging API" (Tagging AWS Resources, "Monitor tag changes with serverless workflows and Amazon EventBridge":
 * https://docs.aws.amazon.com/tag-editor/latest/userguide/tag-monitor.html) but does not say that tags given at
 * creation (CreateVpc TagSpecifications, CloudFormation, Terraform) produce one, and the tag event is best effort.
 * So VPCs created with the request tags already set are also picked up from the CreateVpc call itself. The pattern
 * does not filter on the tags (their place in `requestParameters.tagSpecificationSet` is a list of objects): the
 * intake reads the tags and ignores VPCs created without `spokelink:connect`. VPC creation is rare, so this costs
 * nothing measurable; a duplicate with the tag event is harmless (deterministic execution names).
 *
 * DeleteVpc: a VPC deleted without removing its tags must be offboarded (registry, hub-side authorizations, rules).
 *
 * AssociateVpcCidrBlock / DisassociateVpcCidrBlock: a tenant changed its VPC's CIDRs; the onboarding revalidates them
 * soon (an added block is claimed, or quarantined when it overlaps). Best effort: only claimed CIDRs are ever routed
 * or admitted, and the reconcile finds a change whose event was lost.
 *
 * CloudTrail events reach EventBridge only from accounts with a trail logging management events ("Events from AWS
 * services": https://docs.aws.amazon.com/eventbridge/latest/userguide/event-types.html); an organization trail covers
 * every member account. Failed calls (`errorCode` present) are skipped.
 */
export const VPC_LIFECYCLE_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['ec2.amazonaws.com'],
    eventName: ['CreateVpc', 'DeleteVpc', 'AssociateVpcCidrBlock', 'DisassociateVpcCidrBlock'],
    errorCode: [{ exists: false }],
  },
} as const satisfies EventPattern;

/**
 * The retry policy of the hub rules' intake target (each with a dead-letter queue): EventBridge retries an event its
 * target cannot take up to `retryAttempts` times, for at most `maxEventAgeHours`, then sends it to the DLQ
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html). The hub stack deploys it; the
 * local runner holds a down region's events that long (local/eventbridge.ts).
 */
export const INTAKE_TARGET_RETRY = { retryAttempts: 8, maxEventAgeHours: 2 } as const;

/** Every pattern that reaches the intake, keyed by a stable name (used for rule ids and by the simulator). */
export const INTAKE_EVENT_PATTERNS = {
  tagChange: TAG_CHANGE_PATTERN,
  vpcLifecycle: VPC_LIFECYCLE_PATTERN,
} as const;

/** Sources the hub bus accepts (its resource policy refuses anything else). */
export const ACCEPTED_SOURCES: readonly string[] = [TAG_CHANGE_PATTERN.source[0], VPC_LIFECYCLE_PATTERN.source[0]];

/** Detail types the hub bus accepts. */
export const ACCEPTED_DETAIL_TYPES: readonly string[] = [
  TAG_CHANGE_PATTERN['detail-type'][0],
  VPC_LIFECYCLE_PATTERN['detail-type'][0],
];
