import type { EC2Client } from '@aws-sdk/client-ec2';
import { hubEc2, hubRam, spokeEc2, spokeRam, spokeRoute53, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv, organizationShareOf, tgwShareName } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { confirmConnectivity } from './connectivity';
import { TransitGatewayContract } from './contract';
import { type AttachmentRemovalDeps, deleteAttachment, unshareTransitGateway } from './remove';
import { hubRouteTableIds } from './static-routes';
import {
  acceptAttachment,
  associateAndPropagate,
  createAttachment,
  shareTransitGateway,
  type TgwDeps,
  type TransitGatewayDefaults,
  transitGatewayDefaults,
  waitForAttachment,
} from './transit-gateway';

export const Input = inputSchema(TransitGatewayContract);

/**
 * The TGW's default association and propagation options, read once per container and minute: they change only when
 * the hub's operator modifies the TGW (ModifyTransitGateway), and a minute-old answer only decides whether
 * AssociateAndPropagate reads a new attachment's links before making them. Kept per client (a new client, as after
 * a credential rotation or in another local hub, reads again).
 */
const DEFAULTS_TTL_MS = 60_000;
const defaultsRead = new WeakMap<
  EC2Client,
  { transitGatewayId: string; at: number; defaults: Promise<TransitGatewayDefaults> }
>();

function cachedDefaults(ec2: EC2Client, transitGatewayId: string, now: number): Promise<TransitGatewayDefaults> {
  const hit = defaultsRead.get(ec2);
  if (hit?.transitGatewayId === transitGatewayId && now >= hit.at && now - hit.at < DEFAULTS_TTL_MS) {
    return hit.defaults;
  }
  const defaults = transitGatewayDefaults(ec2, transitGatewayId);
  // A failed read is not kept: the next invocation reads again.
  defaults.catch(() => {
    if (defaultsRead.get(ec2)?.defaults === defaults) defaultsRead.delete(ec2);
  });
  defaultsRead.set(ec2, { transitGatewayId, at: now, defaults });
  return defaults;
}

/**
 * ShareTransitGateway (`share`), CreateAttachment (`create`), AcceptAttachment (`accept`), WaitForAttachment
 * (`wait`), AssociateAndPropagate (`associate`) and WaitForConnectivity (`confirm`, with AssociateZones' `zones`):
 * `{ action, plan, attachmentId? }`; offboarding's
 * DeleteAttachment (`remove`) and UnshareTransitGateway (`unshare`): `{ action, vpc }`.
 */
export const handler = lambdaHandler('transit-gateway', async (input: unknown) => {
  const request = Input.parse(input);
  if (request.action === 'remove' || request.action === 'unshare') {
    const { vpc } = request;
    logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
    const config = configFromEnv();
    const deps: AttachmentRemovalDeps = {
      hub: { ec2: hubEc2(config.hub.region), ram: hubRam(config.hub.region) },
      transitGatewayId: config.hub.transitGatewayId,
      hubAccountId: config.hub.accountId,
      shareName: tgwShareName(config),
      sharedWithOrganization: organizationShareOf(config) !== undefined,
      externalAccounts: config.organization.externalAccounts,
      hubRouteTableIds: hubRouteTableIds(config),
      registry: await heldRegistry(registryTable(config), vpc.fence, Date.now()),
      now: () => Date.now(),
    };
    return request.action === 'remove' ? deleteAttachment(vpc, deps) : unshareTransitGateway(vpc, deps);
  }
  const { plan } = request;
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId, action: request.action });
  const config = configFromEnv();
  if (request.action === 'confirm') {
    const scope = { access: 'write', vpcId: plan.vpcId } as const;
    return confirmConnectivity(
      plan,
      request.attachmentId,
      request.zones,
      {
        hubEc2: hubEc2(config.hub.region),
        spoke: async () => ({
          ec2: await spokeEc2(config, plan.accountId, plan.region, scope),
          route53: await spokeRoute53(config, plan.accountId, plan.region, scope),
        }),
        spokeProfiles: () => spokeRoute53Profiles(config, plan.accountId, plan.region, scope),
      },
      request.routesActive,
    );
  }
  const hub = { ec2: hubEc2(config.hub.region), ram: hubRam(config.hub.region) };
  const spoke = async () => ({
    ec2: await spokeEc2(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
    ram: await spokeRam(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
  });
  if (request.action === 'wait') {
    // The wait renews the lease when it is due, not at each poll (waitForAttachment).
    return waitForAttachment(request.attachmentId, {
      hub,
      spoke,
      now: () => Date.now(),
      renewLease: async () => {
        await heldRegistry(registryTable(config), plan.fence, Date.now());
      },
    });
  }
  const deps: TgwDeps = {
    config,
    hub,
    spoke,
    registry: await heldRegistry(registryTable(config), plan.fence, Date.now()),
    now: () => Date.now(),
    defaults: () => cachedDefaults(hub.ec2, config.hub.transitGatewayId, Date.now()),
  };
  switch (request.action) {
    case 'share':
      return shareTransitGateway(plan, deps);
    case 'create':
      return createAttachment(plan, deps);
    case 'accept':
      return acceptAttachment(request.attachmentId, deps);
    case 'associate':
      return associateAndPropagate(plan, request.attachmentId, deps, request.attachmentReused);
  }
});
