import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorld, type World } from '#twin/world';

/**
 * The hub as the release of commit 93dae39 left it (fixtures/release-93dae39/, see its README): the example world
 * with that release's AWS state seeded from its twin's snapshot (`aws.json`), and the registry items its code wrote.
 */

const ROOT = join(__dirname, '..', '..');
export const RELEASE_FIXTURE = join(__dirname, 'fixtures', 'release-93dae39');

interface OldRoute {
  destinationCidrBlock: string;
  origin?: string;
  [target: string]: unknown;
}
interface OldRule {
  id: string;
  isEgress: boolean;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  description: string | null;
}
interface OldVpc {
  id: string;
  tags: Record<string, string>;
  routeTables: { id: string; routes: OldRoute[] }[];
  securityGroups: { id: string; rules: OldRule[] }[];
}
interface OldAws {
  ec2: {
    vpcs: OldVpc[];
    transitGateways: {
      routeTables: {
        id: string;
        associations: { attachmentId: string }[];
        propagations: { attachmentId: string }[];
      }[];
    }[];
    transitGatewayAttachments: {
      id: string;
      transitGatewayId: string;
      vpcId: string;
      subnetIds: string[];
      tags: Record<string, string>;
    }[];
    endpointServices: { id: string; allowedPrincipals: string[] }[];
  };
  route53: { zones: Record<string, { vpcs: string[] }> };
  ram: {
    shares: Record<
      string,
      {
        name: string;
        ownerId: string;
        region: string;
        allowExternalPrincipals: boolean;
        tags: { key: string; value: string }[];
        resources: string[];
        principals: string[];
      }
    >;
  };
}

interface WorldVpc {
  id: string;
  tags: Record<string, string>;
  routeTables?: { id: string; routes?: unknown[] }[];
  securityGroups?: { id: string; ingress?: unknown[] }[];
}

/** The registry items the release wrote (`registry.json`). */
export function releaseRegistry(): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(RELEASE_FIXTURE, 'registry.json'), 'utf8')) as Record<string, unknown>[];
}

/** The example world with the release's AWS state: what its onboardings made, as its twin held it. */
export function releaseWorld(): World {
  const raw = JSON.parse(readFileSync(join(ROOT, 'worlds', 'example.world.json'), 'utf8')) as {
    ec2: {
      vpcs: WorldVpc[];
      transitGatewayAttachments: Record<string, unknown>[];
      endpointServices: { id: string; allowedPrincipals?: string[] }[];
    };
    route53: { zones: { id: string; vpcs: { vpcId: string; region: string }[] }[] };
    ram: { shares?: unknown[] };
  };
  const aws = JSON.parse(readFileSync(join(RELEASE_FIXTURE, 'aws.json'), 'utf8')) as OldAws;

  // VPCs the example world gained after the release (the dual-stack spoke) did not exist then.
  raw.ec2.vpcs = raw.ec2.vpcs.filter((vpc) => aws.ec2.vpcs.some((v) => v.id === vpc.id));
  for (const vpc of raw.ec2.vpcs) {
    const old = aws.ec2.vpcs.find((v) => v.id === vpc.id);
    if (!old) throw new Error(`aws.json has no ${vpc.id}`);
    vpc.tags = old.tags;
    for (const table of vpc.routeTables ?? []) {
      const oldTable = old.routeTables.find((t) => t.id === table.id);
      // The routes someone created (the world's own and the release's spoke routes); `local` routes are implicit.
      table.routes = (oldTable?.routes ?? [])
        .filter((r) => r.origin === 'CreateRoute')
        .map(({ origin: _origin, ...route }) => route);
    }
    for (const group of vpc.securityGroups ?? []) {
      const oldGroup = old.securityGroups.find((g) => g.id === group.id);
      group.ingress = (oldGroup?.rules ?? [])
        .filter((r) => !r.isEgress)
        .map((r) => ({
          id: r.id,
          protocol: r.protocol,
          fromPort: r.fromPort,
          toPort: r.toPort,
          cidr: r.cidr,
          ...(r.description === null ? {} : { description: r.description }),
        }));
    }
  }

  const tables = aws.ec2.transitGateways.flatMap((t) => t.routeTables);
  const seeded = new Set(raw.ec2.transitGatewayAttachments.map((a) => a.id));
  for (const attachment of aws.ec2.transitGatewayAttachments) {
    if (seeded.has(attachment.id)) continue;
    raw.ec2.transitGatewayAttachments.push({
      id: attachment.id,
      transitGatewayId: attachment.transitGatewayId,
      vpcId: attachment.vpcId,
      subnetIds: attachment.subnetIds,
      state: 'available',
      associationRouteTableId: tables.find((t) => t.associations.some((a) => a.attachmentId === attachment.id))?.id,
      propagationRouteTableIds: tables
        .filter((t) => t.propagations.some((p) => p.attachmentId === attachment.id))
        .map((t) => t.id),
      tags: attachment.tags,
    });
  }

  for (const service of raw.ec2.endpointServices) {
    service.allowedPrincipals = aws.ec2.endpointServices.find((s) => s.id === service.id)?.allowedPrincipals ?? [];
  }
  for (const zone of raw.route53.zones) {
    zone.vpcs = (aws.route53.zones[zone.id]?.vpcs ?? []).map((ref) => {
      const [region, vpcId] = ref.split('/') as [string, string];
      return { vpcId, region };
    });
  }
  // The per-account TGW share of the release (the organization share is deployed by the local hub, as by CDK).
  raw.ram.shares = Object.entries(aws.ram.shares)
    .filter(([, share]) => share.name === 'spokelink-tgw')
    .map(([arn, share]) => ({
      name: share.name,
      ownerId: share.ownerId,
      region: share.region,
      arn,
      allowExternalPrincipals: share.allowExternalPrincipals,
      resourceArns: share.resources.map((r) => r.split(' ')[0]!),
      principals: share.principals.map((p) => p.split(' ')[0]!),
      tags: share.tags,
    }));
  return parseWorld(raw, 'the 93dae39 release world');
}
