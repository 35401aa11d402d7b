/**
 * The templates are valid CloudFormation: aws-cdk-lib's built-in CloudFormation validation (its schemas and rules,
 * errors fatal through cdk.json's `@aws-cdk/core:validateAgainstDefaultRules`) passes on the app's three stacks and on
 * the hub with the configuration options that add kinds of resources. The other tests synthesize with the validation off
 * (`CDK_VALIDATION=false`, test/setup-env.ts): they assert what a template holds, and the validation costs about 3 s
 * of CPU per distinct template.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { parseConfig } from '#shared/config';
import { buildSpokelinkApp } from '../../infra/spokelink-app';
import { newApp, newHubStack, withSupernets } from './helpers';

beforeAll(() => {
  delete process.env.CDK_VALIDATION;
});

describe('CloudFormation validation of the synthesized templates', () => {
  it('is on in this file: an invalid resource fails the synth, naming the property and the rule', () => {
    const app = newApp();
    new CfnResource(new Stack(app, 'invalid'), 'Queue', {
      type: 'AWS::SQS::Queue',
      properties: { VisibilityTimeout: 'soon' },
    });
    expect(() => app.synth()).toThrow(/VisibilityTimeout: 'soon' is not of type 'integer'/);
  });

  it('passes on the hub, spoke and StackSet stacks of the example configuration', () => {
    const app = newApp();
    const { hub, spoke, stackSet } = buildSpokelinkApp(app);
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(
      [hub.stackName, spoke.stackName, stackSet.stackName].sort(),
    );
  });

  it('passes on the hub stack with the optional resources: a Route 53 Profile and its share, supernet ingress rules', () => {
    // One template for both options (each validation costs seconds): DNS mode profile and aggregated ingress.
    const config = parseConfig({ ...JSON.parse(JSON.stringify(withSupernets())), dns: { mode: 'profile' } }, 'options');
    const app = newApp();
    const hub = newHubStack({ config }, app);
    const { Resources } = app.synth().getStackByName(hub.stackName).template as { Resources: object };
    const types = Object.values(Resources).map((r: { Type: string }) => r.Type);
    expect(types).toEqual(expect.arrayContaining(['AWS::Route53Profiles::Profile', 'AWS::EC2::SecurityGroupIngress']));
  });
});
