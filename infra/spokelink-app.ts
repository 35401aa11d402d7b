import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadHubConfig, readSettings, resourceNames } from './config';
import { HubStack } from './stacks/hub-stack';
import { SpokeStack } from './stacks/spoke-stack';
import { SpokeStackSetStack, synthesizeSpokeTemplate } from './stacks/spoke-stackset-stack';

export interface SpokelinkStacks {
  readonly hub: HubStack;
  readonly spoke: SpokeStack;
  readonly stackSet: SpokeStackSetStack;
}

/**
 * Adds spokelink's stacks to `app`, from the configuration and directories named in its context:
 * - `<prefix>-hub` in the hub account and region;
 * - `<prefix>-spoke`, the account- and region-agnostic spoke template (accounts outside the organization deploy it);
 * - `<prefix>-spoke-stackset`, the service-managed StackSet that deploys the same template to the organization.
 * Every stack is checked by cdk-nag (AWS Solutions and Serverless packs): a violation fails the synth.
 */
export function buildSpokelinkApp(app: App): SpokelinkStacks {
  const settings = readSettings(app.node);
  const config = loadHubConfig(settings.configPath);
  const names = resourceNames(config);
  const hubEnv = { account: config.hub.accountId, region: config.hub.region };

  const hub = new HubStack(app, names.hubStack, {
    env: hubEnv,
    config,
    functionsDir: settings.functionsDir,
    stateMachinesDir: settings.stateMachinesDir,
    description: `spokelink hub (${config.prefix}): intake, workflows, registry`,
  });
  const spoke = new SpokeStack(app, names.spokeStack, { config });
  const stackSetAccount = settings.stackSetAccount ?? config.hub.accountId;
  const stackSet = new SpokeStackSetStack(app, names.stackSetStack, {
    env: { account: stackSetAccount, region: config.hub.region },
    config,
    templateBody: synthesizeSpokeTemplate(config, app.node.getAllContext()),
    callAs: stackSetAccount === config.hub.accountId ? 'DELEGATED_ADMIN' : 'SELF',
    description: `spokelink spoke StackSet (${config.prefix}): deploys ${names.spokeStack} to the spoke OUs`,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { hub, spoke, stackSet };
}
