import * as z from 'zod';
import { hubClients, hubRoute53Profiles, spokeClients, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { IgnoredEventError } from '#shared/errors';
import { logger } from '#shared/logger';
import { requestDigest } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { getLease, getRecord, heldRegistry, registryTable } from '#shared/registry';
import { vpcRefOfEvent } from '#shared/vpc-ref';
import { approvalFor, assessChange, type PlannedRequest } from './change';
import { ValidateContract } from './contract';
import { checkUnchanged } from './unchanged';
import { validateAndPlan } from './validate';

const Input = inputSchema(ValidateContract);

/** The reconcile marks the events it starts executions with (`spokelink.origin`): those are never cut short. */
const Origin = z.object({ spokelink: z.object({ origin: z.string() }) });

/**
 * ValidateAndPlan and RevalidateAfterDecision: `{ event, lease }` (the raw EventBridge event, the VPC's lease) -> the
 * Plan, with what it changes compared with the registry record, whether it needs an approval (./change.ts) and the
 * request's digest (what an approval binds). Runs under the lease: everything it reads (tags, record) is what the
 * execution then acts on. Mutates nothing but the lease's expiry. Throws AlreadyConnectedError when the VPC is
 * connected as it asks and nothing drifted (./unchanged.ts).
 */
export const handler = lambdaHandler('validate', async (input: unknown): Promise<PlannedRequest> => {
  const { event, lease } = Input.parse(input);
  const parsed = vpcRefOfEvent(event);
  // The intake already filtered events; this is defence in depth for executions started by hand.
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.vpc;
  logger.appendKeys({ vpcId, accountId, region });

  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  const fence = lease && { vpcId: lease.vpcId, owner: lease.owner, token: lease.token };
  if (fence && fence.vpcId !== vpcId) throw new IgnoredEventError(`the lease is for ${fence.vpcId}, not ${vpcId}`);
  const registry = await heldRegistry(registryTable(config), fence, Date.now());
  const plan = await validateAndPlan(parsed.vpc, {
    config,
    spoke: () => spokeClients(config, accountId, region, { access: 'read' }),
    hub: { route53: hub.route53, organizations: hub.organizations },
    registry,
    ...(config.dns.mode === 'profile'
      ? {
          profiles: {
            hub: hubRoute53Profiles(config.hub.region),
            spoke: () => spokeRoute53Profiles(config, accountId, region, { access: 'read' }),
          },
        }
      : {}),
  });
  const record = await getRecord(registry, vpcId);
  // Throws AlreadyConnectedError when there is nothing to do (./unchanged.ts).
  const why = await checkUnchanged(plan, record, Origin.safeParse(event).data?.spokelink.origin, {
    spoke: () => spokeClients(config, accountId, region, { access: 'read' }),
    hubEc2: hub.ec2,
    // Another live holder (never this execution's own lease, under which validation runs).
    leaseHolder: async (id) => {
      const held = await getLease(registry, id);
      if (!held || held.expiresAt < Math.floor(Date.now() / 1000)) return undefined;
      return fence && held.owner === fence.owner ? undefined : held.owner;
    },
  });
  logger.info('the onboarding runs', { why });
  const change = assessChange(plan, record);
  const planned: PlannedRequest = {
    ...plan,
    ...(fence ? { fence } : {}),
    change,
    approval: approvalFor(config, plan, change),
    requestDigest: requestDigest(plan),
  };
  logger.info('plan', { plan: planned });
  return planned;
});
