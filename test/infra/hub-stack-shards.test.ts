import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '#shared/config';
import { exampleShard as shard } from '../workflow/shard-fixtures';
import { exampleConfig, newHubStack, resourcesOf } from './helpers';

/**
 * The hub stack with endpoint shards (functions/shared/shards.ts): the grants name the shards' security groups and
 * zones besides the catalog's; in profile mode each shard's Profile holds its endpoints' zones and is shared by the
 * hub's Profile share; the segments' aggregated ingress is admitted on the shards' groups.
 */

function sharded(change: (raw: Record<string, unknown>) => void = () => {}) {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, unknown>;
  (raw.segments as Record<string, Record<string, unknown>>).nonprod!.shards = [
    shard('a', 1, { profileName: 'spokelink-nonprod-a' }),
    shard('b', 2, { profileName: 'spokelink-nonprod-b' }),
  ];
  raw.dns = { mode: 'profile' };
  change(raw);
  return parseConfig(raw, 'sharded configuration');
}

describe('Hub stack: endpoint shards', () => {
  const template = Template.fromStack(newHubStack({ config: sharded() }));

  it("grants the consumer the shards' security groups besides the catalog's, and nothing else", () => {
    expect(resourcesOf(template, 'spokelink-fn-consumer', 'ec2:AuthorizeSecurityGroupIngress')).toEqual(
      [
        'sg-0e55e0000000000a1',
        'sg-0e55e0000000000a2',
        'sg-0e55e0000000000a3',
        'sg-0e55e00000000b1a1',
        'sg-0e55e00000000b1a2',
        'sg-0e55e00000000b2a1',
        'sg-0e55e00000000b2a2',
      ].map((sg) => `arn:aws:ec2:us-east-1:111111111111:security-group/${sg}`),
    );
  });

  it("grants the zones function the shards' zones besides the catalog's", () => {
    const zones = resourcesOf(template, 'spokelink-fn-zones', 'route53:CreateVPCAssociationAuthorization');
    expect(zones).toEqual(
      [
        'Z0SECRETS000000000001',
        'Z0SSM00000000000000001',
        'Z0SSMSHARD1000000000001',
        'Z0SSMSHARD2000000000001',
        'Z0STS00000000000000001',
        'Z0STSSHARD1000000000001',
        'Z0STSSHARD2000000000001',
      ].map((z) => `arn:aws:route53:::hostedzone/${z}`),
    );
  });

  it("deploys one Profile per shard holding the shard's zones, shared with the hub's Profile", () => {
    template.resourceCountIs('AWS::Route53Profiles::Profile', 3);
    for (const name of ['spokelink-endpoints', 'spokelink-nonprod-a', 'spokelink-nonprod-b']) {
      template.hasResourceProperties('AWS::Route53Profiles::Profile', { Name: name });
    }
    const profiles = template.findResources('AWS::Route53Profiles::Profile');
    const idOf = (name: string) =>
      Object.entries(profiles).find(([, r]) => (r.Properties as { Name: string }).Name === name)![0];
    const zonesOf = (name: string) =>
      Object.values(template.findResources('AWS::Route53Profiles::ProfileResourceAssociation'))
        .map((r) => r.Properties as { ProfileId: { 'Fn::GetAtt': string[] }; ResourceArn: unknown })
        .filter((p) => p.ProfileId['Fn::GetAtt'][0] === idOf(name))
        .map((p) => JSON.stringify(p.ResourceArn).match(/hostedzone\/(Z[0-9A-Z]+)/)![1])
        .sort();
    expect(zonesOf('spokelink-nonprod-a')).toEqual(['Z0SSMSHARD1000000000001', 'Z0STSSHARD1000000000001']);
    expect(zonesOf('spokelink-nonprod-b')).toEqual(['Z0SSMSHARD2000000000001', 'Z0STSSHARD2000000000001']);
    const share = Object.values(template.findResources('AWS::RAM::ResourceShare')).find(
      (r) => (r.Properties as { Name: string }).Name === 'spokelink-profile',
    )!;
    const shared = JSON.stringify((share.Properties as { ResourceArns: unknown }).ResourceArns);
    for (const name of ['spokelink-endpoints', 'spokelink-nonprod-a', 'spokelink-nonprod-b']) {
      expect(shared).toContain(idOf(name));
    }
  });

  it("admits a sharded segment's aggregated ingress on each shard's groups, not the catalog's", () => {
    const config = sharded((raw) => {
      (raw.segments as Record<string, Record<string, unknown>>).nonprod!.aggregatedIngress = ['10.128.0.0/10'];
    });
    const rules = Object.values(
      Template.fromStack(newHubStack({ config })).findResources('AWS::EC2::SecurityGroupIngress'),
    ).map((r) => `${(r.Properties as { GroupId: string }).GroupId} ${(r.Properties as { CidrIp: string }).CidrIp}`);
    expect(rules.sort()).toEqual(
      ['sg-0e55e00000000b1a1', 'sg-0e55e00000000b1a2', 'sg-0e55e00000000b2a1', 'sg-0e55e00000000b2a2'].map(
        (sg) => `${sg} 10.128.0.0/10`,
      ),
    );
  });
});
