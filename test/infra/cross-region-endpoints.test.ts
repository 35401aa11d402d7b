import { readFileSync } from 'node:fs';
import {
  CreateVpcEndpointCommand,
  EC2Client,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import type { Pluggable } from '@smithy/types';
import { Template } from 'aws-cdk-lib/assertions';
import { type HubConfig, parseConfig } from '#shared/config';
import type { PolicyDocument } from '#twin/iam';
import { twinPlugin } from '#twin/plugin';
import { createTwin, parseWorld } from '#twin/world';
import { crossRegionDeployStatements } from '../../infra/cross-region';
import { LEDGER, ledgerEntry } from '../shared/cross-region-fixture';
import { EXAMPLE_CONFIG_PATH, exampleHubTemplate, flat, newHubStack, violations } from './helpers';

/**
 * The regional hub stack's cross-region endpoints (issue 21): a catalog entry of a service of another region becomes
 * an AWS::EC2::VPCEndpoint with ServiceRegion in the hub VPC, and an alias record of its Regional DNS name in the
 * entry's zone; the deploying principal needs vpce:AllowMultiRegion (checked against the twin's IAM evaluation).
 */

const LEDGER_SERVICE = LEDGER.serviceName;
const LEDGER_ZONE = LEDGER.zone;
const LEDGER_GROUP = LEDGER.group;
const SUBNETS = LEDGER.subnets.map((s) => s.subnetId);

function ledgerConfig(mode: 'zones' | 'profile' = 'zones'): HubConfig {
  const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  (raw.endpoints as Record<string, unknown>).ledger = ledgerEntry();
  return parseConfig({ ...raw, version: 3, dns: { mode } }, 'cross-region test configuration');
}

/** The hub template with the ledger entry (zones mode), synthesized once for the file: the tests only read it. */
let ledgerHub: Template | undefined;
const ledgerTemplate = (): Template => {
  ledgerHub ??= Template.fromStack(newHubStack({ config: ledgerConfig() }));
  return ledgerHub;
};

describe('Hub stack: cross-region endpoints', () => {
  it('creates one cross-region endpoint per entry of another region, in the hub VPC, with private DNS off', () => {
    const config = ledgerConfig();
    const template = ledgerTemplate();
    // The same-region entries are the platform team's endpoints (the catalog names them): the stack creates none.
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: config.hub.vpcId,
      VpcEndpointType: 'Interface',
      ServiceName: LEDGER_SERVICE,
      ServiceRegion: 'eu-west-1',
      SubnetIds: SUBNETS,
      SecurityGroupIds: [LEDGER_GROUP],
      PrivateDnsEnabled: false,
    });
  });

  it("answers the record name in the entry's zone with the endpoint's Regional DNS name", () => {
    const template = ledgerTemplate();
    const [endpointId] = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    const records = Object.values(template.findResources('AWS::Route53::RecordSet'));
    expect(records).toHaveLength(1);
    const record = records[0]!.Properties;
    expect(record).toMatchObject({ HostedZoneId: LEDGER_ZONE, Name: 'ledger.payments.internal', Type: 'A' });
    // "<zone id>:<name>" of DnsEntries[0], split in two: the alias target's zone and name.
    const regional = { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [endpointId, 'DnsEntries'] }] }] };
    expect(record.AliasTarget).toEqual({
      HostedZoneId: { 'Fn::Select': [0, regional] },
      DNSName: { 'Fn::Select': [1, regional] },
      EvaluateTargetHealth: false,
    });
  });

  it("puts the entry's zone in the hub Profile in profile mode, like every catalog zone", () => {
    const template = Template.fromStack(newHubStack({ config: ledgerConfig('profile') }));
    const zones = Object.values(template.findResources('AWS::Route53Profiles::ProfileResourceAssociation')).map((r) =>
      flat(r.Properties.ResourceArn),
    );
    expect(zones).toContain(`arn:aws:route53:::hostedzone/${LEDGER_ZONE}`);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
  });

  it('creates no endpoint nor record without cross-region entries', () => {
    const template = exampleHubTemplate();
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(
      crossRegionDeployStatements(parseConfig(JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')), 'c')),
    ).toEqual([]);
  });

  it('is cdk-nag clean', () => {
    expect(violations(newHubStack({ config: ledgerConfig() }))).toEqual([]);
  });
});

describe('Deploying a cross-region endpoint: the least the deploying principal needs', () => {
  const HUB = '111111111111';
  const PROVIDER = '666666666666';
  const DEPLOYER = `arn:aws:iam::${HUB}:role/cdk-cfn-exec-role`;

  /** The endpoint as the template describes it, created in a twin by a deployer holding `statements`. */
  async function deployAs(statements: unknown[]): Promise<string> {
    const config = ledgerConfig();
    const props = ledgerTemplate().findResources('AWS::EC2::VPCEndpoint');
    const endpoint = Object.values(props)[0]!.Properties as Record<string, unknown>;
    const twin = createTwin(
      parseWorld({
        version: 1,
        iam: { principals: [DEPLOYER] },
        ec2: {
          vpcs: [
            {
              id: config.hub.vpcId,
              ownerId: HUB,
              region: 'us-east-1',
              cidrBlocks: ['10.0.0.0/16'],
              subnets: [
                { id: SUBNETS[0], availabilityZone: 'us-east-1a', cidrBlock: '10.0.1.0/24' },
                { id: SUBNETS[1], availabilityZone: 'us-east-1b', cidrBlock: '10.0.2.0/24' },
              ],
              securityGroups: [{ id: LEDGER_GROUP, name: 'endpoint-ledger', description: 'ledger' }],
            },
          ],
          endpointServices: [
            {
              id: LEDGER.serviceId,
              ownerId: PROVIDER,
              region: 'eu-west-1',
              serviceName: LEDGER_SERVICE,
              acceptanceRequired: false,
              allowedPrincipals: [`arn:aws:iam::${HUB}:root`],
              supportedRegions: ['us-east-1'],
            },
          ],
        },
      }),
      {
        iam: {
          identityPolicies: (arn) =>
            arn === DEPLOYER ? [{ Version: '2012-10-17', Statement: statements } as PolicyDocument] : undefined,
        },
      },
    );
    const { accessKeyId, secretAccessKey } = twin.credentialsFor(DEPLOYER);
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    ec2.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
    const tags = endpoint.Tags as { Key: string; Value: string }[];
    const { VpcEndpoint } = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: endpoint.VpcEndpointType as 'Interface',
        VpcId: endpoint.VpcId as string,
        ServiceName: endpoint.ServiceName as string,
        ServiceRegion: endpoint.ServiceRegion as string,
        SubnetIds: endpoint.SubnetIds as string[],
        SecurityGroupIds: endpoint.SecurityGroupIds as string[],
        PrivateDnsEnabled: endpoint.PrivateDnsEnabled as boolean,
        TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags }],
      }),
    );
    return VpcEndpoint!.DnsEntries![0]!.DnsName!;
  }

  it('creates the endpoint the template describes with crossRegionDeployStatements, its Regional name first', async () => {
    const name = await deployAs(crossRegionDeployStatements(ledgerConfig()));
    expect(name).toMatch(/^vpce-[0-9a-f]+\.vpce-svc-0e1000000000000a1\.eu-west-1\.vpce\.amazonaws\.com$/);
  });

  it('is denied without vpce:AllowMultiRegion', async () => {
    const statements = crossRegionDeployStatements(ledgerConfig()).filter((s) => s.Sid !== 'AllowMultiRegion');
    await expect(deployAs(statements)).rejects.toThrow(/vpce:AllowMultiRegion/);
  });

  it('is denied for a service the statements do not name', async () => {
    const statements = crossRegionDeployStatements(ledgerConfig()).map((s) =>
      s.Sid === 'CreateCrossRegionEndpoints'
        ? {
            ...s,
            Condition: { StringEquals: { 'ec2:VpceServiceName': ['com.amazonaws.vpce.eu-west-1.vpce-svc-0other'] } },
          }
        : s,
    );
    await expect(deployAs(statements)).rejects.toThrow(/ec2:CreateVpcEndpoint/);
  });
});
