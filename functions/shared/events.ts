import { createHash } from 'node:crypto';
import * as z from 'zod';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE, type Tags } from './tags';
import { formatIssues } from './zod-issues';

/**
 * Parsing of the EventBridge events that start spokelink. They are untrusted: any account of the organization can put
 * events on the hub bus, so every field is checked and the resource must belong to the account that sent the event.
 * Parsing never throws; a bad event becomes `{ ok: false, reason }` and is ignored by the caller.
 *
 * - Tag change (`aws.tag`, "Tag Change on Resource"): `resources[0]` is the VPC ARN, `detail.tags` the tags after the
 *   change, `detail.changed-tag-keys` the keys added, changed or removed.
 *   (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-tag.html)
 * - CloudTrail (`aws.ec2`, "AWS API Call via CloudTrail") CreateVpc / DeleteVpc: the VPC id is in
 *   `responseElements.vpc.vpcId` (CreateVpc) or `requestParameters.vpcId` (DeleteVpc); tags given at creation are in
 *   `responseElements.vpc.tagSet.items` (or `requestParameters.tagSpecificationSet`).
 * - CloudTrail AssociateVpcCidrBlock / DisassociateVpcCidrBlock: a tenant changed its VPC's CIDRs; the VPC id is in
 *   `requestParameters.vpcId` or `responseElements.<Action>Response.vpcId`. Best effort like every event: safety never
 *   depends on it (only claimed CIDRs are ever routed or admitted; the reconcile finds changes whose event was lost).
 */

export const TAG_CHANGE_SOURCE = 'aws.tag' as const;
export const TAG_CHANGE_DETAIL_TYPE = 'Tag Change on Resource' as const;
export const CLOUDTRAIL_SOURCE = 'aws.ec2';
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const VPC_ARN = /^arn:aws(-[a-z]+)*:ec2:([a-z0-9-]+):(\d{12}):vpc\/(vpc-[0-9a-f]{8,17})$/;

// AWS tag limits: 50 tags per resource, keys up to 128 characters, values up to 256.
const TagMap = z
  .record(z.string().min(1).max(128), z.string().max(MAX_TAG_VALUE_LENGTH))
  .refine((t) => Object.keys(t).length <= MAX_TAGS_PER_RESOURCE, {
    message: `more than ${MAX_TAGS_PER_RESOURCE} tags`,
  });
const TagItem = z.object({ key: z.string().min(1).max(128), value: z.string().max(256).default('') });

const Envelope = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().regex(ACCOUNT, 'account must be a 12-digit account id'),
  region: z.string().regex(REGION, 'region must be an AWS region'),
  time: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});

const TagChangeDetail = z.object({
  'changed-tag-keys': z.array(z.string().max(128)).max(50),
  service: z.literal('ec2'),
  'resource-type': z.literal('vpc'),
  tags: TagMap,
});

const CloudTrailDetail = z.object({
  eventSource: z.literal('ec2.amazonaws.com'),
  eventName: z.enum(['CreateVpc', 'DeleteVpc', 'AssociateVpcCidrBlock', 'DisassociateVpcCidrBlock']),
  awsRegion: z.string(),
  recipientAccountId: z.string().optional(),
  errorCode: z.string().optional(),
  requestParameters: z
    .object({
      vpcId: z.string().optional(),
      tagSpecificationSet: z
        .object({
          items: z.array(z.object({ resourceType: z.string().optional(), tags: z.array(TagItem).optional() })),
        })
        .optional(),
    })
    .nullish(),
  responseElements: z
    .object({
      vpc: z
        .object({ vpcId: z.string(), tagSet: z.object({ items: z.array(TagItem).optional() }).nullish() })
        .optional(),
      AssociateVpcCidrBlockResponse: z.object({ vpcId: z.string() }).optional(),
      DisassociateVpcCidrBlockResponse: z.object({ vpcId: z.string() }).optional(),
    })
    .nullish(),
});

interface TriggerBase {
  /** The EventBridge event id (stable across duplicate deliveries of one event). */
  eventId: string;
  vpcId: string;
  accountId: string;
  region: string;
}

/** What an accepted event says, in spokelink's terms. */
export type Trigger =
  | (TriggerBase & { kind: 'tag-change'; tags: Tags; changedKeys: string[] })
  | (TriggerBase & { kind: 'vpc-created'; tags: Tags })
  | (TriggerBase & { kind: 'vpc-deleted' })
  | (TriggerBase & { kind: 'cidrs-changed'; eventName: 'AssociateVpcCidrBlock' | 'DisassociateVpcCidrBlock' });

export type TriggerParse = { ok: true; trigger: Trigger } | { ok: false; reason: string };

/** The first issues of an untrusted event (it can carry thousands). */
const issues = (error: z.ZodError): string => formatIssues(error, { max: 3 });

/** Parses an untrusted EventBridge event into a Trigger; never throws. */
export function parseTrigger(raw: unknown): TriggerParse {
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) return { ok: false, reason: `malformed event (${issues(envelope.error)})` };
  const event = envelope.data;
  const base = { eventId: event.id, accountId: event.account, region: event.region };

  if (event.source === TAG_CHANGE_SOURCE && event['detail-type'] === TAG_CHANGE_DETAIL_TYPE) {
    const detail = TagChangeDetail.safeParse(event.detail);
    if (!detail.success) return { ok: false, reason: `malformed tag change detail (${issues(detail.error)})` };
    const resources = event.resources ?? [];
    if (resources.length !== 1) return { ok: false, reason: `expected exactly one resource, got ${resources.length}` };
    const match = VPC_ARN.exec(resources[0]!);
    if (!match) return { ok: false, reason: 'resources[0] is not an EC2 VPC ARN' };
    const [, , arnRegion, arnAccount, vpcId] = match;
    if (arnAccount !== event.account) {
      return { ok: false, reason: `the VPC belongs to account ${arnAccount}, not to the sender ${event.account}` };
    }
    if (arnRegion !== event.region) {
      return { ok: false, reason: `the VPC is in ${arnRegion}, not in the event's region ${event.region}` };
    }
    return {
      ok: true,
      trigger: {
        ...base,
        kind: 'tag-change',
        vpcId: vpcId!,
        tags: detail.data.tags,
        changedKeys: detail.data['changed-tag-keys'],
      },
    };
  }

  if (event.source === CLOUDTRAIL_SOURCE && event['detail-type'] === CLOUDTRAIL_DETAIL_TYPE) {
    const detail = CloudTrailDetail.safeParse(event.detail);
    if (!detail.success) return { ok: false, reason: `malformed CloudTrail detail (${issues(detail.error)})` };
    const d = detail.data;
    if (d.errorCode !== undefined) return { ok: false, reason: `the ${d.eventName} call failed (${d.errorCode})` };
    if (d.recipientAccountId !== undefined && d.recipientAccountId !== event.account) {
      return { ok: false, reason: `the call was made in account ${d.recipientAccountId}, not by ${event.account}` };
    }
    if (d.awsRegion !== event.region) {
      return { ok: false, reason: `the call was made in ${d.awsRegion}, not in the event's region ${event.region}` };
    }
    if (d.eventName === 'AssociateVpcCidrBlock' || d.eventName === 'DisassociateVpcCidrBlock') {
      // The VPC is named by the request (Associate) or only by the response (Disassociate names the association).
      const vpcId =
        d.requestParameters?.vpcId ??
        d.responseElements?.AssociateVpcCidrBlockResponse?.vpcId ??
        d.responseElements?.DisassociateVpcCidrBlockResponse?.vpcId;
      if (!vpcId || !VPC_ID.test(vpcId)) return { ok: false, reason: `${d.eventName} without a valid vpcId` };
      return { ok: true, trigger: { ...base, kind: 'cidrs-changed', vpcId, eventName: d.eventName } };
    }
    if (d.eventName === 'DeleteVpc') {
      const vpcId = d.requestParameters?.vpcId;
      if (!vpcId || !VPC_ID.test(vpcId)) return { ok: false, reason: 'DeleteVpc without a valid vpcId' };
      return { ok: true, trigger: { ...base, kind: 'vpc-deleted', vpcId } };
    }
    const vpcId = d.responseElements?.vpc?.vpcId;
    if (!vpcId || !VPC_ID.test(vpcId)) return { ok: false, reason: 'CreateVpc without a valid vpcId' };
    const items =
      d.responseElements?.vpc?.tagSet?.items ??
      d.requestParameters?.tagSpecificationSet?.items
        .filter((spec) => spec.resourceType === undefined || spec.resourceType === 'vpc')
        .flatMap((spec) => spec.tags ?? []) ??
      [];
    const tags: Tags = {};
    for (const item of items) tags[item.key] = item.value;
    return { ok: true, trigger: { ...base, kind: 'vpc-created', vpcId, tags } };
  }

  return {
    ok: false,
    reason: `unexpected source/detail-type ${JSON.stringify(event.source)}/${JSON.stringify(event['detail-type'])}`,
  };
}

export type WorkflowKind = 'onboard' | 'offboard';

/**
 * The deterministic execution name `<vpcId>-<onboard|offboard>-<12 hex>`: the hex is the first 12 hex digits of the
 * event id without dashes (EventBridge ids are UUIDs), so a duplicate delivery of one event maps to the same name and
 * Step Functions starts at most one execution. An id that is not hex (never from EventBridge) is hashed instead, so
 * the name always matches `[A-Za-z0-9-]{1,80}`.
 */
export function executionName(vpcId: string, kind: WorkflowKind, eventId: string): string {
  const hex = eventId.replace(/-/g, '').toLowerCase();
  const suffix = /^[0-9a-f]{12}/.test(hex)
    ? hex.slice(0, 12)
    : createHash('sha256').update(eventId).digest('hex').slice(0, 12);
  return `${vpcId}-${kind}-${suffix}`;
}

/**
 * The account a workflow execution is for, from its input (the raw event, `detail.input` of a Step Functions
 * status-change event): undefined when the input names no account.
 */
export function accountOfExecutionInput(input: string | null | undefined): string | undefined {
  try {
    const account = (JSON.parse(input ?? '') as { account?: unknown }).account;
    return typeof account === 'string' && /^\d{12}$/.test(account) ? account : undefined;
  } catch {
    return undefined;
  }
}
