import { readFileSync } from 'node:fs';
import { parseConfig } from '#shared/config';
import { refusal } from './config-refusal';
import { LEDGER, ledgerEntry } from './cross-region-fixture';

/**
 * Cross-region services (issue 21): a catalog entry may name a service of another region (`serviceRegion`); what AWS
 * would refuse is refused at load, naming the field (functions/shared/cross-region.ts cites the pages).
 */

// biome-ignore lint/suspicious/noExplicitAny: the cases edit a JSON document freely.
type Doc = Record<string, any>;

const LEDGER_SERVICE = LEDGER.serviceName;

/** The two-region example plus `ledger`: the eu-west-1 ledger service offered to the us-east-1 hub's spokes. */
function withLedger(): Doc {
  const doc = JSON.parse(readFileSync('config/example-two-regions.hub.json', 'utf8')) as Doc;
  doc.endpoints.ledger = ledgerEntry();
  return doc;
}

describe('Configuration: cross-region catalog entries', () => {
  it('accepts an endpoint service of another region that supports the hub region, served from the hub', () => {
    const config = parseConfig(withLedger(), 'hub.json');
    expect(config.endpoints.ledger).toMatchObject({
      serviceRegion: 'eu-west-1',
      serviceName: LEDGER_SERVICE,
      supportedRegions: ['eu-west-1', 'us-east-1'],
      recordName: 'ledger.payments.internal',
    });
  });

  it('accepts an AWS service AWS offers across regions, without the supported regions', () => {
    const doc = withLedger();
    Object.assign(doc.endpoints.ledger, {
      serviceName: 'com.amazonaws.eu-west-1.kms',
      recordName: 'kms.eu-west-1.amazonaws.com',
    });
    delete doc.endpoints.ledger.supportedRegions;
    expect(parseConfig(doc, 'hub.json').endpoints.ledger?.serviceName).toBe('com.amazonaws.eu-west-1.kms');
  });

  it.each([
    [
      'a service of another region without serviceRegion',
      (e: Doc) => delete e.serviceRegion,
      `endpoints.ledger.serviceName: ${LEDGER_SERVICE} is a service of eu-west-1, not of us-east-1: a service of ` +
        'another region is reached through a cross-region endpoint, set serviceRegion to eu-west-1',
    ],
    [
      "the hub's own region as serviceRegion",
      (e: Doc) => (e.serviceRegion = 'us-east-1'),
      "endpoints.ledger.serviceRegion: is the hub's own region (us-east-1): leave it out for a service of us-east-1",
    ],
    [
      'a service region of another partition',
      (e: Doc) =>
        Object.assign(e, {
          serviceRegion: 'cn-north-1',
          serviceName: 'com.amazonaws.vpce.cn-north-1.vpce-svc-0e1000000000000a1',
        }),
      'endpoints.ledger.serviceRegion: cn-north-1 is in partition aws-cn, us-east-1 in aws: cross-region ' +
        'PrivateLink connects regions of one partition',
    ],
    [
      'a service name of a third region',
      (e: Doc) => (e.serviceName = 'com.amazonaws.vpce.ap-southeast-1.vpce-svc-0e1000000000000a1'),
      'endpoints.ledger.serviceName: com.amazonaws.vpce.ap-southeast-1.vpce-svc-0e1000000000000a1 is a service of ' +
        'ap-southeast-1, not of eu-west-1',
    ],
    [
      'no service name',
      (e: Doc) => delete e.serviceName,
      "endpoints.ledger.serviceName: is needed with serviceRegion: the service's name in eu-west-1",
    ],
    [
      'an AWS service AWS does not offer across regions',
      (e: Doc) => (e.serviceName = 'com.amazonaws.eu-west-1.sqs'),
      'endpoints.ledger.serviceName: sqs is not offered across regions by AWS (s3, ecr.api, ecr.dkr, kms,',
    ],
    [
      "an endpoint service whose provider's supported regions are not given",
      (e: Doc) => delete e.supportedRegions,
      "endpoints.ledger.supportedRegions: is needed for an endpoint service of another region: the provider's " +
        'SupportedRegions, which must include us-east-1',
    ],
    [
      'a provider that does not support the hub region',
      (e: Doc) => (e.supportedRegions = ['eu-west-1', 'eu-central-1']),
      'endpoints.ledger.supportedRegions: eu-west-1, eu-central-1 does not include us-east-1: AWS refuses a ' +
        'us-east-1 endpoint to a service that does not support us-east-1',
    ],
    [
      'spoke placement',
      (e: Doc) => (e.placement = 'either'),
      'endpoints.ledger.placement: a cross-region service is served from the hub only',
    ],
    [
      'no subnets for the endpoint',
      (e: Doc) => delete e.subnets,
      'endpoints.ledger.subnets: is needed with serviceRegion: the hub VPC subnets',
    ],
    [
      'subnets in an Availability Zone id AWS excludes',
      (e: Doc) => (e.subnets[1].availabilityZoneId = 'use1-az3'),
      'endpoints.ledger.subnets: use1-az3: AWS creates no cross-region endpoint in Availability Zone ids use1-az3, ' +
        'usw1-az2, apne1-az3, apne2-az2, apne2-az4; use subnets of other zones',
    ],
    [
      'only subnets in excluded Availability Zone ids',
      (e: Doc) => (e.subnets = [{ subnetId: 'subnet-0f000000000000a03', availabilityZoneId: 'use1-az3' }]),
      'endpoints.ledger.subnets: use1-az3: AWS creates no cross-region endpoint',
    ],
    [
      'two subnets in one zone',
      (e: Doc) => (e.subnets[1].availabilityZoneId = 'use1-az1'),
      'endpoints.ledger.subnets: two subnets in use1-az1: an endpoint has one subnet per zone',
    ],
    [
      'no record name (AWS gives a cross-region endpoint Regional DNS names only)',
      (e: Doc) => delete e.recordName,
      "endpoints.ledger.recordName: is needed with serviceRegion: the name the entry's zone answers with the " +
        "endpoint's Regional DNS name (AWS gives a cross-region endpoint no zonal names)",
    ],
    [
      'two zones',
      (e: Doc) => e.privateHostedZoneIds.push('Z0LEDGER000000000002'),
      'endpoints.ledger.privateHostedZoneIds: must name exactly one zone for a cross-region entry',
    ],
    [
      'cross-region fields on an entry of the hub region',
      (e: Doc) => {
        delete e.serviceRegion;
        e.serviceName = 'com.amazonaws.us-east-1.kms';
      },
      'endpoints.ledger.supportedRegions: describes a cross-region endpoint: it needs serviceRegion',
    ],
  ])('refuses %s, naming the field', (_name, edit, message) => {
    const doc = withLedger();
    edit(doc.endpoints.ledger);
    expect(refusal(doc)).toContain(message);
  });

  it('refuses a cross-region entry in an endpoint shard', () => {
    const doc = withLedger();
    doc.segments.prod.shards = [
      {
        name: 'a',
        endpoints: {
          ledger: { securityGroupId: 'sg-0e55e0000000000b2', privateHostedZoneIds: ['Z0LEDGER000000000003'] },
        },
      },
    ];
    expect(refusal(doc)).toContain(
      'segments.prod.shards.0.endpoints.ledger: is a cross-region entry: the hub stack creates one cross-region ' +
        'endpoint per entry, not one per shard',
    );
  });

  it("checks a regional hub's entries against that hub's region", () => {
    const doc = withLedger();
    const ledger = doc.endpoints.ledger;
    delete doc.endpoints.ledger;
    // The same entry in the eu-west-1 hub names a service of its own region: serviceRegion must go.
    doc.regions['eu-west-1'].endpoints.ledger = ledger;
    expect(refusal(doc)).toContain(
      "regions.eu-west-1.endpoints.ledger.serviceRegion: is the hub's own region (eu-west-1)",
    );
  });
});
