#!/usr/bin/env node
/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). Context, all optional:
 *   -c config=path/to/hub.json          the hub configuration (default config/example.hub.json)
 *   -c functionsDir=... -c stateMachinesDir=...   where the Lambda entries and ASL files are
 *   -c stackSetAccount=123456789012     deploy the StackSet from this (management) account instead of the hub
 * No lookups: `npx cdk synth` works offline, without credentials.
 */
import { App } from 'aws-cdk-lib';
import { buildSpokelinkApp } from './spokelink-app';

const app = new App();
buildSpokelinkApp(app);
