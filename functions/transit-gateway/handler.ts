import { z } from 'zod';
import { hubClients, spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { registryTable } from '#shared/registry';
import {
  acceptAttachment,
  associateAndPropagate,
  createAttachment,
  shareTransitGateway,
  type TgwDeps,
  waitForAttachment,
} from './transit-gateway';

const Input = z.discriminatedUnion('action', [
  z.object({ action: z.literal('share'), plan: PlanSchema }),
  z.object({ action: z.literal('create'), plan: PlanSchema }),
  z.object({ action: z.literal('accept'), plan: PlanSchema, attachmentId: z.string().min(1) }),
  z.object({ action: z.literal('wait'), plan: PlanSchema, attachmentId: z.string().min(1) }),
  z.object({ action: z.literal('associate'), plan: PlanSchema, attachmentId: z.string().min(1) }),
]);

/**
 * ShareTransitGateway (`share`), CreateAttachment (`create`), AcceptAttachment (`accept`), WaitForAttachment
 * (`wait`) and AssociateAndPropagate (`associate`): `{ action, plan, attachmentId? }`.
 */
export const handler = async (input: unknown) => {
  logger.resetKeys();
  const request = Input.parse(input);
  const { plan } = request;
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId, action: request.action });
  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  const deps: TgwDeps = {
    config,
    hub: { ec2: hub.ec2, ram: hub.ram },
    spoke: () => spokeClients(config, plan.accountId, plan.region),
    registry: registryTable(config),
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
};
