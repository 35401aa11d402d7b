import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { HubConfig } from '#shared/config';
import type { RegistryTable } from '#shared/registry';

/**
 * Configuration rollouts in canary batches. A configuration change (or a registry migration) reaches the members
 * through the reconcile's repairs; those repairs are a rollout, and it goes out in two steps:
 *
 * 1. the first run that finds them starts a canary batch: the first `operations.rollout.canaryVpcs` members (by VPC
 *    id), and records the rollout in the registry (`ROLLOUT` / `CONFIG`: the configuration's digest, the canary);
 * 2. a later run, once every canary execution ended, counts the canaries that failed (status tag `failed` or
 *    `rejected`): at most `maxCanaryFailures`, the rest of the members go (stage `rest`); more, the rollout stops
 *    (stage `stopped`): no more of its repairs start, a failure notification names the canaries and the threshold,
 *    and the reconcile's output says so, until the configuration changes again (a new digest starts a new rollout).
 *
 * The state lives in the registry because the reconcile workflow (statemachines/reconcile.asl.json) has one
 * selection step and one Map: the batch is the selection, run by run. A run's repairs that are not a rollout
 * (lost events, drift of one VPC, a failed or interrupted run) are not held by it.
 */

/** The repairs a configuration change (or a registry migration) causes: the ones a rollout batches. */
export const ROLLOUT_REASONS: ReadonlySet<string> = new Set([
  'destinations-changed',
  'endpoints-changed',
  'association-drift',
  'schema-upgrade',
]);

export const ROLLOUT_KEY = { pk: 'ROLLOUT', sk: 'CONFIG' };

export interface RolloutState {
  /** Digest of the configuration inputs the rollout brings (reconcile's configInputs). */
  digest: string;
  startedAt: string;
  stage: 'canary' | 'rest' | 'stopped';
  /** The canary batch's VPCs. */
  canary: string[];
  /** The canaries that failed (when the stage moved past `canary`). */
  failed: string[];
  /** Why it stopped (stage `stopped`). */
  detail?: string;
}

/** How a canary VPC's repair went, as the reconcile sees it from its status tag, lease and remaining drift. */
export type CanaryOutcome = 'succeeded' | 'failed' | 'pending';

export interface RolloutStep {
  state: RolloutState | undefined;
  /** VPCs whose rollout repairs may start in this run. */
  release: ReadonlySet<string>;
  /** The state changed (to be written). */
  changed: boolean;
  /** The rollout stopped in this run: the failure notification's text. */
  stopped?: string;
}

/**
 * One run's step of the rollout: `candidates` are the VPCs (sorted) with rollout repairs, `outcome` tells how a
 * canary's repair went. Pure: the caller reads and writes the state.
 */
export function stepRollout(args: {
  state: RolloutState | undefined;
  digest: string;
  now: number;
  candidates: readonly string[];
  outcome: (vpcId: string) => CanaryOutcome;
  settings: HubConfig['operations']['rollout'];
}): RolloutStep {
  const { state, digest, candidates, settings } = args;
  if (!state || state.digest !== digest) {
    if (candidates.length === 0) return { state, release: new Set(), changed: false };
    const canary = candidates.slice(0, settings.canaryVpcs);
    const started: RolloutState = {
      digest,
      startedAt: new Date(args.now).toISOString(),
      stage: 'canary',
      canary,
      failed: [],
    };
    return { state: started, release: new Set(canary), changed: true };
  }
  if (state.stage === 'rest') return { state, release: new Set(candidates), changed: false };
  if (state.stage === 'stopped') return { state, release: new Set(), changed: false };

  const failed = state.canary.filter((vpcId) => args.outcome(vpcId) === 'failed');
  if (failed.length > settings.maxCanaryFailures) {
    const detail =
      `configuration rollout stopped: ${failed.length} of ${state.canary.length} canary VPC(s) failed ` +
      `(${failed.join(', ')}), more than operations.rollout.maxCanaryFailures (${settings.maxCanaryFailures}); ` +
      'the other VPCs keep the previous configuration until the configuration changes again';
    return {
      state: { ...state, stage: 'stopped', failed, detail },
      release: new Set(),
      changed: true,
      stopped: detail,
    };
  }
  if (state.canary.some((vpcId) => args.outcome(vpcId) === 'pending')) {
    // The canary is not over: its own repairs may go again (a retry), the rest waits.
    return { state, release: new Set(state.canary.filter((vpcId) => candidates.includes(vpcId))), changed: false };
  }
  return { state: { ...state, stage: 'rest', failed }, release: new Set(candidates), changed: true };
}

/** The rollout item as scanned (scanRegistry), or undefined. */
export function rolloutOf(item: Record<string, unknown> | undefined): RolloutState | undefined {
  if (!item || typeof item.digest !== 'string') return undefined;
  return {
    digest: item.digest,
    startedAt: String(item.startedAt),
    stage: item.stage === 'rest' || item.stage === 'stopped' ? item.stage : 'canary',
    canary: Array.isArray(item.canary) ? item.canary.map(String) : [],
    failed: Array.isArray(item.failed) ? item.failed.map(String) : [],
    ...(typeof item.detail === 'string' ? { detail: item.detail } : {}),
  };
}

/** Writes the rollout's state (one item: the latest rollout). */
export async function saveRollout(table: RegistryTable, state: RolloutState): Promise<void> {
  await table.dynamo.send(
    new PutCommand({ TableName: table.tableName, Item: { ...ROLLOUT_KEY, kind: 'rollout', ...state } }),
  );
}
