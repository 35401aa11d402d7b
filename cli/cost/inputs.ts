import * as z from 'zod';
import type { HubConfig } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { ConsumerRecord } from '#shared/registry/model';
import { parseRequestTags, type Tags } from '#shared/tags';
import { invalidFile } from '#shared/zod-issues';

/**
 * Where the cost model's N and S come from when they are not typed on the command line: a scenario file, the consumer
 * registry (`--from-registry`) or a simulate world (`--from-world`). Pure: callers read the files and pass the
 * parsed content.
 */

/** A scenario, registry or world file does not have the expected shape; the message names the bad field. */
export class CostSourceError extends ConfigurationError {}

function describe(source: string, error: z.ZodError): string {
  return invalidFile(`${source} is invalid`, error);
}

/** A cost scenario file (YAML or JSON): the same names as the command's flags; flags win over the file. */
export const ScenarioSchema = z.strictObject({
  vpcs: z.number().int().min(1).optional(),
  services: z.number().int().min(1).optional(),
  azs: z.number().int().min(1).optional(),
  /** GB per VPC per month through the endpoints. */
  gb: z.number().min(0).optional(),
  hubAzs: z.number().int().min(1).optional(),
  tgwExists: z.boolean().optional(),
  /** Price overrides merged over the committed table (same shape as `pricing/us-east-1.json`, any subset). */
  prices: z.record(z.string(), z.unknown()).optional(),
  description: z.string().optional(),
});

export type Scenario = z.infer<typeof ScenarioSchema>;

/** Validates a parsed scenario file. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const result = ScenarioSchema.safeParse(raw);
  if (!result.success) throw new CostSourceError(describe(source, result.error));
  return result.data;
}

/**
 * The fields of a registry record that cost and chargeback read. Other fields are allowed (the full
 * {@link ConsumerRecord}) and ignored, so a registry export or a DynamoDB scan can be passed as it is.
 */
export const RegistryRecordSchema = z.looseObject({
  vpcId: z.string().min(1),
  accountId: z.string().min(1),
  /** The VPC's region: `--regions` prices and charges each region's VPCs with its own hub. */
  region: z.string().min(1).optional(),
  segment: z.string().default(''),
  services: z.array(z.string()),
  /** Served in the VPC: by spokelink's endpoint there (placement spoke) or by the VPC itself. */
  localServices: z.array(z.string()).optional(),
  selfServed: z.array(z.string()).optional(),
  /** The attachment's subnets, one per AZ: the AZs an endpoint in the VPC would span. */
  attachmentSubnetIds: z.array(z.string()).optional(),
  status: z.enum(['onboarding', 'connected', 'failed', 'offboarding', 'disconnected']),
  connectedAt: z.iso.datetime({ offset: true }).optional(),
  disconnectedAt: z.iso.datetime({ offset: true }).optional(),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});

/** The registry-record fields cost and chargeback use (a subset of {@link ConsumerRecord}). */
export type RegistryRecord = Pick<ConsumerRecord, 'vpcId' | 'accountId' | 'segment' | 'services' | 'status'> &
  Partial<
    Pick<
      ConsumerRecord,
      'region' | 'connectedAt' | 'disconnectedAt' | 'updatedAt' | 'localServices' | 'selfServed' | 'attachmentSubnetIds'
    >
  >;

/** The services a record consumes from the hub's endpoints: not those served in the VPC (own or spokelink's endpoint). */
export function hubServicesOf(record: RegistryRecord): string[] {
  const inVpc = new Set([...(record.localServices ?? []), ...(record.selfServed ?? [])]);
  return record.services.filter((service) => !inVpc.has(service));
}

/** Validates a registry export (a JSON array of consumer records, current and history). */
export function parseRegistryRecords(raw: unknown, source = 'registry file'): RegistryRecord[] {
  const result = z.array(RegistryRecordSchema).safeParse(raw);
  if (!result.success) throw new CostSourceError(describe(source, result.error));
  return result.data;
}

/** N, S and the facts behind them, derived from registry records. */
export interface DerivedInputs {
  /** Connected VPCs (N). */
  vpcs: number;
  /** Distinct catalog services the connected VPCs consume (S). */
  services: number;
  /** Average services per connected VPC: the endpoints each VPC would need in decentralized. */
  servicesPerVpc: number;
  serviceNames: string[];
  accounts: number;
  /** Services named by records but absent from the catalog (not priced). */
  unknownServices: string[];
  /** Catalog endpoints no connected VPC uses (the hub still runs them; not priced here). */
  unusedCatalogServices: string[];
}

/**
 * Derives the cost model's inputs from the consumer registry: N = VPCs whose current status is `connected`,
 * S = distinct catalog services they consume. Records of other statuses (history, onboarding, failed) are ignored.
 */
export function costFromRecords(records: readonly RegistryRecord[], config: HubConfig): DerivedInputs {
  const catalog = new Set(Object.keys(config.endpoints));
  const connected = new Map<string, RegistryRecord>();
  for (const record of records) {
    if (record.status === 'connected') connected.set(record.vpcId, record);
  }
  const used = new Set<string>();
  const unknown = new Set<string>();
  let endpointCount = 0;
  for (const record of connected.values()) {
    const services = new Set(record.services);
    for (const service of services) {
      if (catalog.has(service)) {
        used.add(service);
        endpointCount += 1;
      } else if (!Object.hasOwn(config.endpointServices, service)) {
        // An endpoint service (the hub is its provider) is no interface endpoint a spoke would need: not priced.
        unknown.add(service);
      }
    }
  }
  const vpcs = connected.size;
  return {
    vpcs,
    services: used.size,
    servicesPerVpc: vpcs === 0 ? 0 : endpointCount / vpcs,
    serviceNames: [...used].sort(),
    accounts: new Set([...connected.values()].map((r) => r.accountId)).size,
    unknownServices: [...unknown].sort(),
    unusedCatalogServices: [...catalog].filter((s) => !used.has(s)).sort(),
  };
}

const TagsSchema = z.union([
  z.record(z.string(), z.string()),
  z.array(z.looseObject({ Key: z.string(), Value: z.string() })),
]);

/** A VPC of a twin world file (`ec2.vpcs[]`, see twin/world.ts): only the fields pricing needs. */
const TwinWorldVpcSchema = z.looseObject({
  id: z.string().min(1),
  ownerId: z.string().min(1),
  region: z.string().min(1).optional(),
  tags: TagsSchema.optional(),
});

const WorldSchema = z.looseObject({
  registry: z.array(z.unknown()).optional(),
  ec2: z.looseObject({ vpcs: z.array(TwinWorldVpcSchema).optional() }).optional(),
  vpcs: z
    .array(
      z.looseObject({
        vpcId: z.string().min(1),
        accountId: z.string().optional(),
        ownerId: z.string().optional(),
        region: z.string().min(1).optional(),
        tags: TagsSchema.optional(),
      }),
    )
    .optional(),
});

function tagMap(tags: z.infer<typeof TagsSchema> | undefined): Tags {
  if (tags === undefined) return {};
  if (!Array.isArray(tags)) return tags;
  return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
}

/** Catalog services a segment may use (endpoints without `segments` serve every segment). */
function servicesForSegment(config: HubConfig, segment: string): string[] {
  return Object.entries(config.endpoints)
    .filter(([, endpoint]) => endpoint.segments === undefined || endpoint.segments.includes(segment))
    .map(([name]) => name);
}

/**
 * Registry records of a simulate world: its `registry` array when it has one (the state after a run), otherwise
 * one `connected` record per VPC whose request tags ask to connect (the state the world asks for; `*` expands to
 * the catalog services of the VPC's segment).
 */
export function recordsFromWorld(raw: unknown, config: HubConfig, source = 'world file'): RegistryRecord[] {
  const result = WorldSchema.safeParse(raw);
  if (!result.success) throw new CostSourceError(describe(source, result.error));
  const world = result.data;
  if (world.registry !== undefined) return parseRegistryRecords(world.registry, `${source} registry`);
  // A twin world file (worlds/*.world.json) lists its VPCs under ec2.vpcs, with `id` and `ownerId`.
  const twinVpcs = world.ec2?.vpcs?.map((vpc) => ({
    vpcId: vpc.id,
    accountId: vpc.ownerId,
    region: vpc.region,
    tags: vpc.tags,
  }));
  const vpcs = world.vpcs ?? twinVpcs;
  if (vpcs === undefined) {
    throw new CostSourceError(`${source} has neither a "registry", a "vpcs" nor an "ec2.vpcs" array: nothing to price`);
  }
  const records: RegistryRecord[] = [];
  for (const vpc of vpcs) {
    const request = parseRequestTags(tagMap(vpc.tags));
    if (request.action !== 'connect') continue;
    const segment = request.segment ?? config.defaultSegment;
    const services = request.services === '*' ? servicesForSegment(config, segment) : request.services;
    records.push({
      vpcId: vpc.vpcId,
      accountId:
        ('accountId' in vpc ? vpc.accountId : undefined) ?? ('ownerId' in vpc ? vpc.ownerId : undefined) ?? 'unknown',
      ...(vpc.region === undefined ? {} : { region: vpc.region }),
      segment,
      services,
      status: 'connected',
    });
  }
  return records;
}
