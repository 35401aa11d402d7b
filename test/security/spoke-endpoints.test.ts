import { CreateSecurityGroupCommand, CreateVpcEndpointCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import { advance, appTeamEc2, lifecycleHub, PAYMENTS, settle, statusOf } from '../lifecycle/helpers';

/**
 * Attack: the tenant forges spokelink's tag (`spokelink:managed=true`) on an endpoint and a security group of its own
 * in its VPC, hoping that offboarding (or a rollback) deletes them, or that spokelink adopts them. Removal deletes
 * only the ids the registry recorded: the tenant's resources survive, and spokelink's own are gone.
 */

const managed = [{ Key: 'spokelink:managed', Value: 'true' }];

describe('Security: local endpoints are removed by recorded id, never by tag', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it("offboarding leaves the tenant's endpoint and group that carry a forged spokelink tag", async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(PAYMENTS, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:local-services': 'sts',
    });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    const ours = Object.values(ec2State(hub.twin).endpoints).filter((e) => e.vpcId === PAYMENTS);
    expect(ours).toHaveLength(1);

    const tenant = appTeamEc2(hub, PAYMENTS);
    const { GroupId } = await tenant.send(
      new CreateSecurityGroupCommand({
        VpcId: PAYMENTS,
        GroupName: 'looks-like-spokelink',
        Description: 'forged',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: managed }],
      }),
    );
    const { VpcEndpoint } = await tenant.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: PAYMENTS,
        ServiceName: 'com.amazonaws.us-east-1.sts',
        PrivateDnsEnabled: false,
        SecurityGroupIds: [GroupId!],
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: managed }],
      }),
    );

    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment', 'spokelink:local-services']);
    await settle(hub);
    await advance(hub, 5 * 60_000);

    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    const left = Object.values(ec2State(hub.twin).endpoints).filter(
      (e) => e.vpcId === PAYMENTS && e.timeline.at(-1)?.state !== 'deleted',
    );
    expect(left.map((e) => e.id)).toEqual([VpcEndpoint!.VpcEndpointId]);
    expect(ec2State(hub.twin).securityGroups[GroupId!]).toBeDefined();
    // spokelink's own group went with its endpoint.
    expect(ec2State(hub.twin).securityGroups[ours[0]!.securityGroupIds[0]!]).toBeUndefined();
  });
});
