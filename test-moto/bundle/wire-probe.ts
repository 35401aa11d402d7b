import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByVPCCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

/**
 * A Lambda-shaped module the moto tier bundles with the production bundler (infra/bundling/esbuild.ts) and runs
 * against moto: the calls spokelink makes, through the SDK as the bundle carries it (schema modules rewritten), in
 * the three wire protocols involved (EC2 query, Route 53 REST-XML, STS query). Returns what it read back.
 */
export async function handler(): Promise<Record<string, unknown>> {
  const region = 'us-east-1';
  const ec2 = new EC2Client({ region });
  const route53 = new Route53Client({ region });
  const sts = new STSClient({ region });

  const { Account } = await sts.send(new GetCallerIdentityCommand({}));
  const { Vpc } = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: '10.42.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'wire-probe' }] }],
    }),
  );
  const vpcId = Vpc!.VpcId!;
  await ec2.send(
    new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'spokelink:status', Value: 'connected' }] }),
  );
  const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'probe', Description: 'wire probe', VpcId: vpcId }),
  );
  const authorized = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.7.0.0/16', Description: 'spoke' }] },
      ],
    }),
  );
  const rules = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [GroupId!] }] }),
  );
  const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' }));
  const described = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));

  const { HostedZone } = await route53.send(
    new CreateHostedZoneCommand({
      Name: 'ssm.us-east-1.amazonaws.com',
      CallerReference: 'wire-probe',
      VPC: { VPCId: vpcId, VPCRegion: region },
      HostedZoneConfig: { PrivateZone: true, Comment: 'probe' },
    }),
  );
  const { Vpc: other } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
  await route53.send(
    new AssociateVPCWithHostedZoneCommand({
      HostedZoneId: HostedZone!.Id!,
      VPC: { VPCId: other!.VpcId!, VPCRegion: region },
    }),
  );
  const zones = await route53.send(new ListHostedZonesByVPCCommand({ VPCId: other!.VpcId!, VPCRegion: region }));

  return {
    account: Account,
    vpc: {
      cidr: described.Vpcs?.[0]?.CidrBlock,
      tags: Object.fromEntries((described.Vpcs?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value])),
      dnsSupport: dns.EnableDnsSupport?.Value,
      routeTableInVpc: RouteTable?.VpcId === vpcId,
    },
    authorizedRules: authorized.SecurityGroupRules?.map((r) => [r.CidrIpv4, r.FromPort, r.Description]),
    describedIngress: rules.SecurityGroupRules?.filter((r) => !r.IsEgress).map((r) => [r.CidrIpv4, r.FromPort]),
    zonesOfOtherVpc: zones.HostedZoneSummaries?.map((z) => z.Name),
  };
}
