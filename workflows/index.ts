import type { StateMachine } from './builder';
import { offboard } from './offboard';
import { onboard } from './onboard';
import { reconcile } from './reconcile';

/** Every workflow, by the id of its `statemachines/<id>.asl.json` (infra/workflow-sources.ts reads those files). */
export const WORKFLOWS: Readonly<Record<string, StateMachine>> = { onboard, offboard, reconcile };
