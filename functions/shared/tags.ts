/**
 * The tag contract: a public interface (README, "Tag contract").
 * Request tags are set by application teams and are untrusted input; status tags are written by spokelink only and
 * are never read as a request.
 */

export const TAG_PREFIX = 'spokelink:';

export const RequestTag = {
  connect: 'spokelink:connect',
  segment: 'spokelink:segment',
  services: 'spokelink:services',
  /**
   * Catalog endpoints the VPC wants served by an interface endpoint in the VPC itself (placement `spoke`), not from the
   * hub; allowed only where the catalog's placement allows it (README, "Placement").
   */
  localServices: 'spokelink:local-services',
} as const;

/**
 * The tag on what spokelink makes in a spoke VPC (local endpoints and their security groups): the spoke role may
 * create such resources only with it and change or delete only those that carry it. Never proof of ownership (a tenant
 * can forge it): removal deletes only the ids the registry recorded.
 */
export const MANAGED_TAG = { Key: 'spokelink:managed', Value: 'true' } as const;

/** On subnets: `true` picks the attachment subnet of its AZ. */
export const SUBNET_ATTACH_TAG = 'spokelink:attach';

export const StatusTag = {
  status: 'spokelink:status',
  detail: 'spokelink:detail',
  execution: 'spokelink:execution',
} as const;

/** On the attachment spokelink creates: the VPC it attaches (its `Name` is the plan's attachment name). */
export const ATTACHMENT_VPC_TAG = 'spokelink:vpc';

/** The tags the workflow writes on an attachment: the only keys IAM lets it write there (infra/permissions.ts). */
export const ATTACHMENT_TAG_KEYS: readonly string[] = ['Name', ATTACHMENT_VPC_TAG];

export const REQUEST_TAG_KEYS: readonly string[] = Object.values(RequestTag);
export const STATUS_TAG_KEYS: readonly string[] = Object.values(StatusTag);

/** The statuses `spokelink:status` takes (docs/lifecycle.md). */
export const STATUSES = [
  'onboarding',
  'pending-approval',
  'pending',
  'connected',
  'quarantined',
  'rejected',
  'failed',
  'offboarding',
  'disconnected',
] as const;
export type Status = (typeof STATUSES)[number];

/**
 * The detail of `pending`: the hub is paused (`operations.paused`) and the VPC's onboarding request waits in the
 * intake queue; it starts when the platform team unpauses the hub.
 */
export const PAUSED_DETAIL =
  'pending: paused by the platform team; the request is queued and runs when the hub is unpaused';

/**
 * AWS tag limit: user tags per resource
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
 */
export const MAX_TAGS_PER_RESOURCE = 50;

/** AWS tag value limit (characters). */
export const MAX_TAG_VALUE_LENGTH = 256;

export type Tags = Record<string, string>;

/** The request a VPC's tags express, or the precise reason it is malformed. */
export type TagRequest =
  | {
      action: 'connect';
      segment: string | undefined;
      services: '*' | string[];
      /** `spokelink:local-services`: absent is `[]` (every service from the hub). */
      localServices: '*' | string[];
    }
  | { action: 'disconnect' }
  | { action: 'malformed'; reason: string };

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** Shows an untrusted value safely inside a status detail or error (printable ASCII, bounded). */
export function quoteUntrusted(value: string, max = 40): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}...` : clean);
}

/**
 * Reads the request from a VPC's current tags. Never throws: malformed values become `{ action: 'malformed' }`
 * with a reason naming the tag.
 */
export function parseRequestTags(tags: Tags): TagRequest {
  const connect = tags[RequestTag.connect];
  if (connect === undefined || connect.trim().toLowerCase() === 'false') return { action: 'disconnect' };
  if (connect.trim().toLowerCase() !== 'true') {
    return {
      action: 'malformed',
      reason: `${RequestTag.connect} must be "true" or "false", not ${quoteUntrusted(connect)}`,
    };
  }

  let segment: string | undefined;
  const rawSegment = tags[RequestTag.segment];
  if (rawSegment !== undefined) {
    segment = rawSegment.trim();
    if (!SERVICE_NAME.test(segment)) {
      return {
        action: 'malformed',
        reason: `${RequestTag.segment} ${quoteUntrusted(rawSegment)} is not a segment name`,
      };
    }
  }

  const services = parseNameList(RequestTag.services, tags[RequestTag.services], '*');
  if ('reason' in services) return { action: 'malformed', reason: services.reason };
  const localServices = parseNameList(RequestTag.localServices, tags[RequestTag.localServices], []);
  if ('reason' in localServices) return { action: 'malformed', reason: localServices.reason };
  return { action: 'connect', segment, services: services.names, localServices: localServices.names };
}

/**
 * A comma-separated list of catalog names, or `*`, from an untrusted tag value (`spokelink:services`,
 * `spokelink:local-services`): one parser, one set of limits and one error style for both. `absent` is the value of
 * a missing tag.
 */
function parseNameList(
  key: string,
  raw: string | undefined,
  absent: '*' | string[],
): { names: '*' | string[] } | { reason: string } {
  if (raw === undefined) return { names: absent };
  if (raw.trim() === '*') return { names: '*' };
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) return { reason: `${key} has an empty entry: ${quoteUntrusted(raw)}` };
  const bad = names.find((n) => !SERVICE_NAME.test(n));
  if (bad !== undefined) return { reason: `${key} entry ${quoteUntrusted(bad)} is not a service name` };
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) return { reason: `${key} names ${quoteUntrusted(duplicate)} twice` };
  return { names };
}

/** Truncates a status detail to the AWS tag value limit, keeping it readable. */
export function statusDetail(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_TAG_VALUE_LENGTH ? oneLine : `${oneLine.slice(0, MAX_TAG_VALUE_LENGTH - 3)}...`;
}

/** True when the changed keys include at least one request key (status-only changes never start work). */
export function touchesRequestTags(changedKeys: readonly string[]): boolean {
  return changedKeys.some((key) => REQUEST_TAG_KEYS.includes(key));
}
