import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ec2WorldSchema } from './services/ec2';
import { organizationsWorldSchema } from './services/organizations';
import { ramWorldSchema } from './services/ram';
import { route53WorldSchema } from './services/route53';
import { route53profilesWorldSchema } from './services/route53profiles';
import { stsWorldSchema } from './services/sts';
import { Twin, type TwinOptions } from './twin';

/**
 * A world file seeds the twin: the organization and its accounts, IAM roles, VPCs with CIDRs/subnets/route
 * tables/tags, the hub's TGW and route tables, endpoints' security groups, private hosted zones and endpoint
 * services. Documented in docs/twin.md; the schema is the reference.
 */
export const WorldSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  description: z.string().optional(),
  organization: organizationsWorldSchema,
  /** Accounts that act as delegated administrators of the organization (may call ListParents). */
  delegatedAdministrators: z.array(z.string().regex(/^\d{12}$/)).optional(),
  iam: stsWorldSchema,
  ec2: ec2WorldSchema,
  route53: route53WorldSchema,
  route53profiles: route53profilesWorldSchema,
  ram: ramWorldSchema,
});
export type World = z.infer<typeof WorldSchema>;

export class TwinWorldError extends Error {
  override name = 'TwinWorldError';
}

/** Validates a parsed world; the error lists every bad field by its path. */
export function parseWorld(raw: unknown, source = 'world'): World {
  const result = WorldSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TwinWorldError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadWorldFile(path: string): World {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TwinWorldError(`cannot read world ${path}: ${(error as Error).message}`);
  }
  return parseWorld(raw, path);
}

/** A twin seeded with a world. Modules seed in dependency order (organization and IAM before resources). */
export function createTwin(world: World, options: TwinOptions = {}): Twin {
  const twin = new Twin(options);
  for (const name of ['organizations', 'sts', 'ec2', 'route53', 'route53profiles', 'ram'] as const) {
    twin.services.get(name)?.seed?.(twin, world);
  }
  return twin;
}
