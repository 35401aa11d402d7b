import * as z from 'zod';
import { hubEc2, hubRam, spokeEc2, spokeRam, spokeRoute53, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv, organizationShareOf, tgwShareName } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema } from '#shared/registry';
import { confirmConnectivity } from './connectivity';
import { type AttachmentRemovalDeps, deleteAttachment, unshareTransitGateway } from './remove';
import { hubRouteTableIds } from './static-routes';
import {
  acceptAttachment,
  associateAndPropagate,
  createAttachment,
  shareTransitGateway,
  type TgwDeps,
  waitForAttachment,
} from './transit-gateway';

export const Input = z.discriminatedUnion('action', [
  z.object({ action: z.literal('share'), plan: PlanSchema }),
  z.object({ action: z.literal('create'), plan: PlanSchema }),
  z.object({ action: z.literal('accept'), plan: PlanSchema, attachmentId: z.string().min(1) }),
  z.object({ action: z.literal('wait'), plan: PlanSchema, attachmentId: z.string().min(1) }),
  z.object({ action: z.literal('associate'), plan: PlanSchema, attachmentId: z.string().min(1) }),
  z.object({
    action: z.literal('confirm'),
    plan: PlanSchema,
    attachmentId: z.string().min(1),
    /** AssociateZones' result (`$.branches[1]`): the Route 53 changes of the associations it made. */
    zones: z
      .object({
        changeIds: z.array(z.string().min(1)).default([]),
        /** DNS mode `profile`: the VPC's association with the hub's Profile, which must be COMPLETE. */
        profileAssociationId: z.string().min(1).optional(),
      })
      .default({ changeIds: [] }),
  }),
  /** Offboarding: DeleteAttachment and UnshareTransitGateway (no plan: the VPC and its registry record). */
  z.object({ action: z.literal('remove'), vpc: VpcRefSchema }),
  z.object({ action: z.literal('unshare'), vpc: VpcRefSchema }),
]);

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
    return confirmConnectivity(plan, request.attachmentId, request.zones, {
      hubEc2: hubEc2(config.hub.region),
      spoke: async () => ({
        ec2: await spokeEc2(config, plan.accountId, plan.region, scope),
        route53: await spokeRoute53(config, plan.accountId, plan.region, scope),
      }),
      spokeProfiles: () => spokeRoute53Profiles(config, plan.accountId, plan.region, scope),
    });
  }
  const deps: TgwDeps = {
    config,
    hub: { ec2: hubEc2(config.hub.region), ram: hubRam(config.hub.region) },
    spoke: async () => ({
      ec2: await spokeEc2(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
      ram: await spokeRam(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
    }),
    registry: await heldRegistry(registryTable(config), plan.fence, Date.now()),
    now: () => Date.now(),
  };
  switch (request.action) {
    case 'share':
      return shareTransitGateway(plan, deps);
    case 'create':
      return createAttachment(plan, deps);
    case 'accept':
      return acceptAttachment(request.attachmentId, deps);
    case 'wait':
      return waitForAttachment(request.attachmentId, deps);
    case 'associate':
      return associateAndPropagate(plan, request.attachmentId, deps);
  }
});
