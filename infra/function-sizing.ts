/**
 * Each function's memory and timeout, as the CDK app deploys them and the local runner enforces them. A plain module
 * (no aws-cdk-lib): the local runner imports it. A function not listed gets the defaults.
 */
export const DEFAULT_MEMORY_MB = 256;
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface FunctionSizing {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

const SIZING: Readonly<Record<string, Partial<FunctionSizing>>> = {
  // The functions that wait on AWS (attachment states, zone associations, endpoint connections).
  'transit-gateway': { timeoutSeconds: 60 },
  zones: { timeoutSeconds: 60 },
  consumer: { timeoutSeconds: 60 },
  // One scan of the registry and a walk of the organization per run.
  reconcile: { memoryMb: 512, timeoutSeconds: 5 * 60 },
};

/** The memory and timeout of the function `name` (a folder under functions/). */
export function sizingOf(name: string): FunctionSizing {
  const own = SIZING[name];
  return {
    memoryMb: own?.memoryMb ?? DEFAULT_MEMORY_MB,
    timeoutSeconds: own?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
  };
}
