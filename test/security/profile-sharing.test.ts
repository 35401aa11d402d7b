import { type LocalHub, localPlugin, localProfileId } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import { type Route53ProfilesState, resolvingZone } from '#twin/services/route53profiles';
import { AssociateProfileCommand, Route53ProfilesClient } from '../../sdk/client-route53profiles';
import {
  advance,
  lifecycleConfig,
  lifecycleHub,
  networkDiff,
  PAYMENTS,
  registryOf,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
} from '../lifecycle/helpers';

/**
 * Threat: in DNS mode `profile` the hub's Route 53 Profile is shared through RAM with the whole organization, and
 * AssociateProfile has no resource type: any member account can associate the hub's Profile with any of its VPCs,
 * without spokelink validating anything (docs/deploy.md, "The hub's Route 53 Profile and the organization").
 * What that gains: the VPC resolves the catalog's names to the hub's endpoint addresses, nothing more. No
 * attachment, no route, no security group rule, no registry membership: the endpoints stay unreachable from it.
 */

function tenantProfiles(hub: LocalHub, vpcId: string): Route53ProfilesClient {
  const vpc = ec2State(hub.twin).vpcs[vpcId]!;
  const team = hub.twin.credentialsFor(`arn:aws:iam::${vpc.ownerId}:role/app-team`);
  const client = new Route53ProfilesClient({
    region: vpc.region,
    credentials: { accessKeyId: team.accessKeyId, secretAccessKey: team.secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.use(localPlugin(hub.twin, hub.clock));
  return client;
}

describe('Security: the hub Profile shared with the organization', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('a tenant that associates the hub Profile with an unvalidated VPC gains name resolution only', async () => {
    const config = lifecycleConfig((raw) => {
      raw.dns = { mode: 'profile' };
    });
    hub = await lifecycleHub({ config });
    const before = hub.twin.snapshot();
    // The tenant's VPC never asked spokelink; its team associates the hub's Profile itself.
    await tenantProfiles(hub, SCRATCH).send(
      new AssociateProfileCommand({ Name: 'mine', ProfileId: localProfileId(config), ResourceId: SCRATCH }),
    );
    await advance(hub, 60_000); // the association is COMPLETE
    const reconciled = await runReconcile(hub);

    // It resolves the catalog's names (what the Profile is for)...
    expect(resolvingZone(hub.twin, 'ssm.us-east-1.amazonaws.com', SCRATCH, 'us-east-1')).toMatchObject({
      via: 'profile',
    });
    // ...and gains nothing else: the only change is its own Profile association.
    const changed = networkDiff(hub, before);
    expect(changed.every((path) => path.startsWith('route53profiles.associations.'))).toBe(true);
    expect(changed.length).toBeGreaterThan(0);
    expect(reconciled.summary).toMatchObject({ onboard: 0, offboard: 0 });
    expect(await registryOf(hub, SCRATCH)).toEqual({});
    expect(statusOf(hub, SCRATCH).status).toBeUndefined();
  });

  it('a tenant association does not become spokelink’s: its offboarding of another VPC leaves it alone', async () => {
    const config = lifecycleConfig((raw) => {
      raw.dns = { mode: 'profile' };
    });
    hub = await lifecycleHub({ config });
    await tenantProfiles(hub, SCRATCH).send(
      new AssociateProfileCommand({ Name: 'mine', ProfileId: localProfileId(config), ResourceId: SCRATCH }),
    );
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment']);
    await settle(hub);
    const associations = Object.values((hub.twin.snapshot().route53profiles as Route53ProfilesState).associations).map(
      (a) => a.vpcId,
    );
    // spokelink removed only what it made (PAYMENTS's, DELETING or gone); the tenant's own stays.
    expect(associations).toContain(SCRATCH);
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({ profileAssociations: [] });
  });
});
