import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { regionalConfig, servedRegions } from '#shared/config';
import { loadHubConfig, readSettings, resourceNames } from './config';
import { HubStack } from './stacks/hub-stack';
import { SpokeStack } from './stacks/spoke-stack';
import { SpokeStackSetStack, synthesizeSpokeTemplate } from './stacks/spoke-stackset-stack';

export interface SpokelinkStacks {
  /** The first served region's hub. */
  readonly hub: HubStack;
  /** Every served region's hub, by region (the first one is `hub`). */
  readonly hubs: Record<string, HubStack>;
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
  // One hub stack per served region, each with that region's view of the configuration: workflows run in the region
  // they serve, so one region's outage does not stop the others.
  const hubs = Object.fromEntries(
    servedRegions(config).map((region) => {
      const regional = regionalConfig(config, region);
      const stack = new HubStack(app, resourceNames(regional).hubStack, {
        env: { account: config.hub.accountId, region },
        config: regional,
        functionsDir: settings.functionsDir,
        stateMachinesDir: settings.stateMachinesDir,
        description: `spokelink hub (${config.prefix}, ${region}): intake, workflows, registry`,
      });
      return [region, stack];
    }),
  );
  const hub = hubs[config.hub.region]!;
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
  return { hub, hubs, spoke, stackSet };
}
