import { QUOTAS } from '#shared/quotas';
import { DEFAULT_QUOTAS } from '#twin/services/ec2/model';
import { DEFAULT_MAX_VPCS_PER_ZONE, MAX_AUTHORIZATIONS_PER_ZONE } from '#twin/services/route53';
import { PROFILE_QUOTAS } from '#twin/services/route53profiles';

/**
 * The product's quota table (cli/preflight/quotas.ts) and the twin's defaults are kept apart (the twin imports nothing
 * from the product), so they are checked here: a preflight that promised more than the twin (and AWS) allows would
 * let a migration day fail half-way.
 */
describe('Preflight quota table', () => {
  it('states the same default values as the twin enforces', () => {
    expect({
      attachments: QUOTAS.attachmentsPerTransitGateway.value,
      routes: QUOTAS.routesPerTransitGateway.value,
      rules: QUOTAS.rulesPerSecurityGroup.value,
      vpcsPerZone: QUOTAS.vpcsPerHostedZone.value,
      authorizations: QUOTAS.authorizationsPerHostedZone.value,
      vpcsPerProfile: QUOTAS.vpcsPerProfile.value,
      profiles: QUOTAS.profilesPerAccount.value,
    }).toEqual({
      attachments: DEFAULT_QUOTAS.attachmentsPerTransitGateway,
      routes: DEFAULT_QUOTAS.routesPerTransitGateway,
      rules: DEFAULT_QUOTAS.rulesPerSecurityGroup,
      vpcsPerZone: DEFAULT_MAX_VPCS_PER_ZONE,
      authorizations: MAX_AUTHORIZATIONS_PER_ZONE,
      vpcsPerProfile: PROFILE_QUOTAS.vpcsPerProfile,
      profiles: PROFILE_QUOTAS.profilesPerAccountRegion,
    });
  });

  it('cites an AWS documentation page for every quota', () => {
    for (const quota of Object.values(QUOTAS)) {
      expect(quota.page).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/.+\.html(#.+)?$/);
    }
  });

  it('keeps rules per group x groups per interface within the per-interface ceiling of 1,000', () => {
    expect(QUOTAS.rulesPerSecurityGroup.value * QUOTAS.securityGroupsPerNetworkInterface.value).toBeLessThanOrEqual(
      QUOTAS.rulesPerNetworkInterface.value,
    );
    expect(QUOTAS.rulesPerSecurityGroup.adjustable).toEqual({ upTo: QUOTAS.rulesPerNetworkInterface.value });
  });
});
