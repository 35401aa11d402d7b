import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfigFile } from '#local/config-file';
import { type Json, LambdaInvocationError, LocalLambdas } from '#local/lambda';
import { SDK_ENV_KEYS } from '#local/sdk-env';
import { resetClients, useClientPlugin } from '#shared/aws';
import { type HubConfig, registryTableName, resetConfigCache } from '#shared/config';
import { HANDLER_ENV_KEYS, handlerEnvironment } from '#shared/env';
import { MOTO_ACCOUNT, REGION } from '../harness/compare';
import { FUNCTIONS_CREDENTIALS } from './seed';

/**
 * Runs the real onboarding handlers (functions/<name>/handler.ts, through the local Lambda binding: JSON round trip,
 * errors shaped as Lambda reports them) against moto, with the environment the CDK stack gives them and every SDK
 * client pointed at moto by `AWS_ENDPOINT_URL` (registry included: moto's DynamoDB).
 */

const ROOT = join(__dirname, '..', '..');
const ENV_KEYS = [...HANDLER_ENV_KEYS, 'AWS_ENDPOINT_URL', ...SDK_ENV_KEYS] as const;

/** Points the handlers at moto (environment, fresh client and configuration caches); returns the restore function. */
export function useMotoForHandlers(endpoint: string, config: HubConfig): () => void {
  const saved = new Map<string, string | undefined>(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, {
    ...handlerEnvironment({
      config,
      configFile: writeConfigFile(config),
      registryTableName: registryTableName(config),
      serviceName: config.prefix,
      logLevel: 'SILENT',
    }),
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: FUNCTIONS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FUNCTIONS_CREDENTIALS.secretAccessKey,
  });
  useClientPlugin(undefined);
  resetClients();
  resetConfigCache();
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    resetClients();
    resetConfigCache();
  };
}

/** One Task state run: its name, and the handler's result or the error Step Functions would see. */
export interface StepRun {
  state: string;
  result?: Json;
  error?: { name: string; message: string };
}

/** The raw EventBridge event the intake starts onboarding with (the app team tagged the VPC). */
export function tagChangeEvent(vpcId: string, tags: Record<string, string>, id: string) {
  return {
    version: '0',
    id,
    'detail-type': 'Tag Change on Resource',
    source: 'aws.tag',
    account: MOTO_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:ec2:${REGION}:${MOTO_ACCOUNT}:vpc/${vpcId}`],
    detail: {
      'changed-tag-keys': Object.keys(tags),
      service: 'ec2',
      'resource-type': 'vpc',
      version: 1,
      tags,
    },
  };
}

/** Invokes handlers as the onboarding state machine's Task states do, recording every run. */
export class HandlerRunner {
  readonly runs: StepRun[] = [];
  private readonly lambdas = new LocalLambdas({ region: REGION, accountId: MOTO_ACCOUNT });

  /** Runs `state` (function `fn`) with `input`; returns its result, or undefined when it failed (see `runs`). */
  async step(state: string, fn: string, input: unknown): Promise<Json | undefined> {
    try {
      const result = await this.lambdas.invoke(fn, input, { state });
      this.runs.push({ state, result });
      return result;
    } catch (error) {
      const e = error instanceof LambdaInvocationError ? error : (error as Error);
      const message = e instanceof LambdaInvocationError ? e.errorMessage : e.message;
      this.runs.push({ state, error: { name: e.name, message } });
      return undefined;
    }
  }

  /** The run of `state` (the last one). */
  run(state: string): StepRun | undefined {
    return this.runs.filter((r) => r.state === state).at(-1);
  }
}

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Branches?: { StartAt: string; States: Record<string, AslState> }[];
}

/**
 * The Task states of the onboarding ASL on its success path, in order (a Parallel's branches one after the other):
 * the order the moto run follows, read from statemachines/onboard.asl.json so the two cannot drift apart.
 */
export function successPathTasks(): string[] {
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines/onboard.asl.json'), 'utf8')) as {
    StartAt: string;
    States: Record<string, AslState>;
  };
  const walk = (start: string, states: Record<string, AslState>): string[] => {
    const out: string[] = [];
    let name: string | undefined = start;
    while (name) {
      const state: AslState = states[name]!;
      if (state.Type === 'Task') out.push(name);
      if (state.Type === 'Parallel') for (const b of state.Branches ?? []) out.push(...walk(b.StartAt, b.States));
      name = state.Type === 'Choice' ? state.Default : state.End ? undefined : state.Next;
    }
    return out;
  };
  return walk(asl.StartAt, asl.States);
}
