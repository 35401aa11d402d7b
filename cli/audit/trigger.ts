/**
 * Who asked, what and when: the trigger of an execution, read from its input. spokelink's workflows are started with
 * the EventBridge event itself as input (the intake passes it through), so the input tells the account, the time, the
 * tag keys that changed and the tags after the change (tag change events), or the principal that made the call
 * (CloudTrail events carry `userIdentity`). Pure.
 */

/** The trigger of one execution. */
export interface AuditTrigger {
  /**
   * `tag-change` (EventBridge "Tag Change on Resource"), `cloudtrail` ("AWS API Call via CloudTrail"), `event`
   * (another EventBridge event), `schedule` (EventBridge Scheduler input `{"source":"schedule"}`), `input` (anything
   * else, e.g. an execution started by hand or by another workflow) or `unknown` (no input: not read or not JSON).
   */
  kind: 'tag-change' | 'cloudtrail' | 'event' | 'schedule' | 'input' | 'unknown';
  source?: string;
  detailType?: string;
  eventId?: string;
  /** The account that sent the event (its VPC's owner for tag changes and CloudTrail events). */
  account?: string;
  region?: string;
  /** Event time (ISO), or the CloudTrail eventTime. */
  time?: string;
  vpcId?: string;
  /** CloudTrail: the principal (userIdentity ARN, or type:principalId). Tag change events name no principal. */
  principal?: string;
  principalType?: string;
  /** CloudTrail: eventName, sourceIPAddress, userAgent. */
  eventName?: string;
  sourceIp?: string;
  userAgent?: string;
  /** Tag change: the keys added, changed or removed. */
  changedKeys?: string[];
  /** Tags of the VPC after the change (tag change), or the tags given at creation (CloudTrail CreateVpc). */
  tags?: Record<string, string>;
  /** Top-level keys of an input that is not an event. */
  inputKeys?: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function tagMap(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

/** `[{key, value}]` (CloudTrail's tag lists) as a map. */
function tagItems(value: unknown): Record<string, string> | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const item of value) {
    if (isObject(item) && typeof item.key === 'string') out[item.key] = str(item.value) ?? '';
  }
  return out;
}

const VPC_ID = /\bvpc-[0-9a-f]{8,17}\b/;

function fromCloudTrail(event: Json, detail: Json, base: AuditTrigger): AuditTrigger {
  const identity = isObject(detail.userIdentity) ? detail.userIdentity : undefined;
  const principal =
    str(identity?.arn) ??
    (identity && (str(identity.type) || str(identity.principalId))
      ? `${str(identity.type) ?? '?'}:${str(identity.principalId) ?? '?'}`
      : undefined);
  const request = isObject(detail.requestParameters) ? detail.requestParameters : undefined;
  const response = isObject(detail.responseElements) ? detail.responseElements : undefined;
  const vpc = isObject(response?.vpc) ? response.vpc : undefined;
  const tagSet = isObject(vpc?.tagSet) ? vpc.tagSet : undefined;
  const specs = isObject(request?.tagSpecificationSet) ? request.tagSpecificationSet : undefined;
  const specTags = Array.isArray(specs?.items)
    ? specs.items.filter(isObject).flatMap((spec) => (Array.isArray(spec.tags) ? spec.tags : []))
    : undefined;
  const tags = tagItems(tagSet?.items) ?? tagItems(specTags);
  const vpcId = str(vpc?.vpcId) ?? str(request?.vpcId) ?? VPC_ID.exec(JSON.stringify(event.resources ?? ''))?.[0];
  return {
    ...base,
    kind: 'cloudtrail',
    time: str(detail.eventTime) ?? base.time,
    ...(principal ? { principal } : {}),
    ...(str(identity?.type) ? { principalType: str(identity?.type) } : {}),
    ...(str(detail.eventName) ? { eventName: str(detail.eventName) } : {}),
    ...(str(detail.sourceIPAddress) ? { sourceIp: str(detail.sourceIPAddress) } : {}),
    ...(str(detail.userAgent) ? { userAgent: str(detail.userAgent) } : {}),
    ...(vpcId ? { vpcId } : {}),
    ...(tags ? { tags } : {}),
  };
}

/** The EventBridge event of an execution input: the input itself, or its `event` member (a wrapped input). */
function eventOf(input: unknown): Json | undefined {
  if (isObject(input) && typeof input['detail-type'] === 'string') return input;
  if (isObject(input) && isObject(input.event) && typeof input.event['detail-type'] === 'string') return input.event;
  return undefined;
}

/** Reads the trigger from an execution's input (the JSON text DescribeExecution or ExecutionStarted gives). */
export function parseTrigger(inputText: string | undefined): AuditTrigger {
  if (inputText === undefined) return { kind: 'unknown' };
  let input: unknown;
  try {
    input = JSON.parse(inputText);
  } catch {
    return { kind: 'unknown' };
  }
  const event = eventOf(input);
  if (!event) {
    if (isObject(input) && input.source === 'schedule') return { kind: 'schedule', source: 'schedule' };
    return { kind: 'input', inputKeys: isObject(input) ? Object.keys(input) : [] };
  }
  const detail = isObject(event.detail) ? event.detail : {};
  const base: AuditTrigger = {
    kind: 'event',
    ...(str(event.source) ? { source: str(event.source) } : {}),
    ...(str(event['detail-type']) ? { detailType: str(event['detail-type']) } : {}),
    ...(str(event.id) ? { eventId: str(event.id) } : {}),
    ...(str(event.account) ? { account: str(event.account) } : {}),
    ...(str(event.region) ? { region: str(event.region) } : {}),
    ...(str(event.time) ? { time: str(event.time) } : {}),
  };
  if (event['detail-type'] === 'AWS API Call via CloudTrail') return fromCloudTrail(event, detail, base);
  if (event['detail-type'] === 'Tag Change on Resource') {
    const resources = Array.isArray(event.resources) ? event.resources.map(String) : [];
    const vpcId = resources.map((r) => VPC_ID.exec(r)?.[0]).find((v) => v !== undefined);
    const changed = Array.isArray(detail['changed-tag-keys']) ? detail['changed-tag-keys'].map(String) : [];
    const tags = tagMap(detail.tags);
    return {
      ...base,
      kind: 'tag-change',
      ...(vpcId ? { vpcId } : {}),
      changedKeys: changed,
      ...(tags ? { tags } : {}),
    };
  }
  return base;
}

/**
 * The changed keys with their new values (`spokelink:connect=true`), or `removed` when the key is absent after the
 * change.
 */
export function describeChanges(trigger: AuditTrigger): string[] {
  return (trigger.changedKeys ?? []).map((key) =>
    trigger.tags && key in trigger.tags ? `${key}=${trigger.tags[key]}` : `${key} removed`,
  );
}

/** One line saying who did what (for tables): `tag change by account 222222222222`, `CreateVpc by arn:...`. */
export function triggerSummary(trigger: AuditTrigger): string {
  switch (trigger.kind) {
    case 'tag-change':
      return `tags changed in account ${trigger.account ?? '?'}: ${describeChanges(trigger).join(', ') || '(no key)'}`;
    case 'cloudtrail':
      return `${trigger.eventName ?? 'API call'} by ${trigger.principal ?? `account ${trigger.account ?? '?'}`}`;
    case 'event':
      return `${trigger.detailType ?? 'event'} from ${trigger.source ?? '?'} (account ${trigger.account ?? '?'})`;
    case 'schedule':
      return 'scheduled (EventBridge Scheduler)';
    case 'input':
      return `started with input {${(trigger.inputKeys ?? []).join(', ')}}`;
    default:
      return 'input not available';
  }
}
