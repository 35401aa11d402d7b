import {
  type HostedZoneSummary,
  ListHostedZonesByVPCCommand,
  type Route53Client,
  type VPCRegion,
} from '@aws-sdk/client-route-53';

/** `/hostedzone/Z123` -> `Z123` (GetHostedZone returns the prefixed form, configuration the bare one). */
export const bareZoneId = (id: string): string => id.replace(/^\/hostedzone\//, '');

/** `example.com.` -> `example.com` (Route 53 returns names with the trailing dot; comparison is case-insensitive). */
export const bareZoneName = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/**
 * Zones a VPC is associated with, whoever owns them (Route 53 ListHostedZonesByVPC, called as the VPC owner):
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByVPC.html
 * The SDK has no paginator for this operation (its model declares none): the NextToken loop is written here, once.
 */
export async function zonesOfVpc(route53: Route53Client, vpcId: string, region: string): Promise<HostedZoneSummary[]> {
  const out: HostedZoneSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await route53.send(
      new ListHostedZonesByVPCCommand({ VPCId: vpcId, VPCRegion: region as VPCRegion, NextToken }),
    );
    out.push(...(page.HostedZoneSummaries ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}
