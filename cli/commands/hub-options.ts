import type { LocalHubOptions } from '#local/hub';
import type { HubConfig } from '#shared/config';
import type { World } from '#twin/world';

/** What `spokelink simulate` (events or a scenario) runs the local hub with. */
export interface LocalRunInput {
  config: HubConfig;
  world: World;
  clock: 'virtual' | 'real';
  seed?: number;
  latencyMs: number;
  /** The handlers' logs (INFO) on stderr; silent otherwise. */
  verbose: boolean;
}

/** The local hub's options for a run: the twin's seed (when given) and latency, the handlers' log level. */
export function hubOptionsOf(input: LocalRunInput) {
  return {
    config: input.config,
    world: input.world,
    clock: input.clock,
    twinOptions: { ...(input.seed === undefined ? {} : { seed: input.seed }), latencyMs: input.latencyMs },
    logLevel: input.verbose ? 'INFO' : 'SILENT',
  } satisfies LocalHubOptions;
}
