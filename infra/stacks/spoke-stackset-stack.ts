import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnStackSet, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type HubConfig, servedRegions } from '#shared/config';
import { resourceNames } from '../config';
import { SpokeStack } from './spoke-stack';

/** CloudFormation's limit for an inline StackSet template (TemplateBody). */
export const TEMPLATE_BODY_LIMIT_BYTES = 51_200;

/**
 * The spoke template, synthesized from `SpokeStack` in a private, throw-away app: aws-cdk-lib 2.276 has no stable
 * StackSet construct that embeds another stack (that lives in the separate cdk-stacksets alpha package), and the
 * spoke template is small and asset-free, so it goes inline as the StackSet's TemplateBody. The standalone spoke
 * stack of the main app is built from the same class and the same configuration, so both templates are identical.
 *
 * @param context CDK context of the main app (feature flags), so both syntheses behave the same.
 */
export function synthesizeSpokeTemplate(config: HubConfig, context: Record<string, unknown> = {}): string {
  const outdir = mkdtempSync(join(tmpdir(), 'spokelink-spoke-'));
  try {
    // autoSynth off: under the CDK CLI an App would otherwise synthesize itself again when the process exits.
    const app = new App({ outdir, autoSynth: false, context });
    const name = resourceNames(config).spokeStack;
    new SpokeStack(app, name, { config });
    const template = app.synth().getStackByName(name).template;
    return JSON.stringify(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface SpokeStackSetStackProps extends StackProps {
  readonly config: HubConfig;
  /** The spoke template (JSON), from `synthesizeSpokeTemplate`. */
  readonly templateBody: string;
  /**
   * `DELEGATED_ADMIN` when this stack is deployed to a member account registered as delegated administrator for
   * CloudFormation StackSets (the hub account, by default); `SELF` in the management account.
   */
  readonly callAs: 'SELF' | 'DELEGATED_ADMIN';
}

/**
 * The service-managed StackSet that deploys the spoke template to every account of the configured OUs, in every
 * served region, and to accounts that join those OUs later (auto-deployment).
 */
export class SpokeStackSetStack extends Stack {
  readonly stackSet: CfnStackSet;

  constructor(scope: Construct, id: string, props: SpokeStackSetStackProps) {
    super(scope, id, props);
    const { config } = props;
    const size = Buffer.byteLength(props.templateBody);
    if (size > TEMPLATE_BODY_LIMIT_BYTES) {
      throw new Error(
        `spokelink: the spoke template is ${size} bytes, over the ${TEMPLATE_BODY_LIMIT_BYTES}-byte TemplateBody ` +
          'limit of StackSets; shrink it (fewer served regions or zones) or publish it to S3 and use TemplateURL',
      );
    }
    this.stackSet = new CfnStackSet(this, 'SpokeStackSet', {
      stackSetName: resourceNames(config).stackSet,
      description: `spokelink spoke: event forwarding and the ${config.spokeRole.name} role`,
      permissionModel: 'SERVICE_MANAGED',
      callAs: props.callAs,
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: 'PARALLEL',
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 10,
      },
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...config.organization.spokeOrganizationalUnits] },
          regions: servedRegions(config),
        },
      ],
      templateBody: props.templateBody,
    });
  }
}
