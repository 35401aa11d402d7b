/**
 * `ledger`, a service a provider offers in eu-west-1 to us-east-1 consumers (issue 21, cross-region services): the
 * catalog entry of the us-east-1 hub that names it, shared by the configuration, infra, workflow and security tests.
 */
export const LEDGER = {
  serviceId: 'vpce-svc-0e1000000000000a1',
  serviceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0e1000000000000a1',
  zone: 'Z0LEDGER000000000001',
  group: 'sg-0e55e0000000000b1',
  recordName: 'ledger.payments.internal',
  /** The hub's endpoint subnets of the example world: us-east-1a and us-east-1b (use1-az1, use1-az2 in the twin). */
  subnets: [
    { subnetId: 'subnet-0f000000000000a01', availabilityZoneId: 'use1-az1' },
    { subnetId: 'subnet-0f000000000000a02', availabilityZoneId: 'use1-az2' },
  ],
} as const;

/** The catalog entry (raw, as in a configuration file), for prod VPCs only; a fresh copy each call. */
export function ledgerEntry(): Record<string, unknown> {
  return {
    privateHostedZoneIds: [LEDGER.zone],
    securityGroupId: LEDGER.group,
    ports: [443],
    segments: ['prod'],
    serviceRegion: 'eu-west-1',
    serviceName: LEDGER.serviceName,
    supportedRegions: ['eu-west-1', 'us-east-1'],
    subnets: LEDGER.subnets.map((s) => ({ ...s })),
    recordName: LEDGER.recordName,
  };
}
