import { Template } from 'aws-cdk-lib/assertions';
import { resourceNames } from '../../infra/config';
import { SpokeStackSetStack, synthesizeSpokeTemplate } from '../../infra/stacks/spoke-stackset-stack';
import { exampleConfig, newApp, newSpokeStack } from './helpers';

function newStackSetStack(config = exampleConfig(), callAs: 'SELF' | 'DELEGATED_ADMIN' = 'DELEGATED_ADMIN') {
  const app = newApp();
  return new SpokeStackSetStack(app, resourceNames(config).stackSetStack, {
    env: { account: config.hub.accountId, region: config.hub.region },
    config,
    callAs,
    // The app's context (feature flags) shapes the template, as in buildSpokelinkApp.
    templateBody: synthesizeSpokeTemplate(config, app.node.getAllContext()),
  });
}

describe('Spoke StackSet', () => {
  it('is service-managed and auto-deploys to the configured OUs in the served regions', () => {
    const config = exampleConfig({
      regions: ['us-east-1'],
      organization: {
        id: 'o-exampleorg1',
        spokeOrganizationalUnits: ['ou-ab12-wkld0001', 'ou-ab12-wkld0002'],
        externalAccounts: [],
      },
    });
    Template.fromStack(newStackSetStack(config)).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'spokelink-spoke',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      CallAs: 'DELEGATED_ADMIN',
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-wkld0001', 'ou-ab12-wkld0002'] },
          Regions: ['us-east-1'],
        },
      ],
    });
  });

  it("deploys only to the hub's region when no regions are configured", () => {
    Template.fromStack(newStackSetStack()).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-wkld0001'] }, Regions: ['us-east-1'] },
      ],
    });
  });

  it('calls as itself when deployed from the management account', () => {
    Template.fromStack(newStackSetStack(exampleConfig(), 'SELF')).hasResourceProperties(
      'AWS::CloudFormation::StackSet',
      { CallAs: 'SELF' },
    );
  });

  it('deploys exactly the template of the standalone spoke stack', () => {
    const config = exampleConfig();
    const stackSet = Template.fromStack(newStackSetStack(config)).findResources('AWS::CloudFormation::StackSet');
    const body = JSON.parse(Object.values(stackSet)[0]?.Properties.TemplateBody as string);
    const standalone = Template.fromStack(newSpokeStack(config)).toJSON();
    const withoutPaths = (template: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(template).replace(/,?"Metadata":\{"aws:cdk:path":"[^"]*"\}/g, ''));
    expect(withoutPaths(body)).toEqual(withoutPaths(standalone));
    expect(body.Resources).toBeDefined();
  });

  it('refuses a template over the inline TemplateBody limit', () => {
    const config = exampleConfig();
    expect(
      () =>
        new SpokeStackSetStack(newApp(), 'too-big', {
          config,
          callAs: 'SELF',
          templateBody: JSON.stringify({ padding: 'x'.repeat(52_000) }),
        }),
    ).toThrow(/over the 51200-byte TemplateBody limit/);
  });
});
