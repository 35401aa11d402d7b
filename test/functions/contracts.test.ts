import * as z from 'zod';
import { RoutesContract } from '../../functions/routes/contract';
import type { Contract } from '../../functions/shared/contract';
import { inputSchema } from '../../functions/shared/contract';
import { WORKFLOWS } from '../../workflows';
import { CONTRACTS as ALL } from '../../workflows/contracts';

const CONTRACTS: Record<string, Contract> = ALL;

/** The `action` literal an action's input schema accepts, or undefined for an action-less input. */
function actionLiteral(input: z.ZodType): string | undefined {
  const action = (input as z.ZodObject).shape?.action as z.ZodType | undefined;
  if (!action) return undefined;
  const inner = action instanceof z.ZodOptional ? action.unwrap() : action;
  return (inner as z.ZodLiteral<string>).value;
}

/** Every Lambda Task of every generated workflow: its function folder and the `action` its Parameters give. */
function tasks(): { fn: string; action: string | undefined; state: string }[] {
  const out: { fn: string; action: string | undefined; state: string }[] = [];
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, s] of Object.entries(states)) {
      const resource = typeof s.Resource === 'string' ? /^\$\{(\w+)FunctionArn\}$/.exec(s.Resource) : null;
      if (resource) {
        const fn = resource[1]!.replace(/[A-Z]/g, (c, i) => `${i === 0 ? '' : '-'}${c.toLowerCase()}`);
        const params = (s.Parameters ?? {}) as { action?: string };
        out.push({ fn, action: params.action, state: name });
      }
      for (const b of (s.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []) {
        visit(b.States);
      }
      const processor = s.ItemProcessor as { States: Record<string, Record<string, unknown>> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  for (const machine of Object.values(WORKFLOWS)) visit(machine.States as Record<string, Record<string, unknown>>);
  return out;
}

describe('One contract per step (functions/<name>/contract.ts)', () => {
  it.each(Object.entries(CONTRACTS))("%s: each action's key is the action its input accepts", (_fn, contract) => {
    for (const [key, action] of Object.entries(contract)) {
      const literal = actionLiteral(action.input);
      if (literal !== undefined) expect(literal).toBe(key);
    }
  });

  it('every Task of the generated workflows names a function with a contract and one of its actions', () => {
    const all = tasks();
    expect(all.length).toBeGreaterThan(30);
    for (const { fn, action, state } of all) {
      const contract = CONTRACTS[fn];
      expect({ state, fn, known: contract !== undefined }).toEqual({ state, fn, known: true });
      if (action !== undefined) expect({ state, action, known: action in contract! }).toMatchObject({ known: true });
    }
  });

  it("a handler's input schema picks the action the payload names, and refuses an unknown one", () => {
    const input = inputSchema(RoutesContract);
    const vpc = { vpcId: 'vpc-0a200000000000001', accountId: '111111111111', region: 'us-east-1' };
    expect(input.parse({ action: 'remove', vpc })).toMatchObject({ action: 'remove', vpc: { exists: true } });
    expect(input.safeParse({ action: 'detach', vpc }).success).toBe(false);
  });

  it('the removal results a summary reads fail on a field in another shape, and never read a missing list as empty', () => {
    const removal = RoutesContract.remove.output;
    expect(removal.safeParse({ removed: [], vanished: [], notOurs: [], retained: [] }).success).toBe(true);
    expect(removal.safeParse({ removed: [], vanished: [], notOurs: [] }).success).toBe(false);
    expect(removal.safeParse({ removed: 'rtb-1', vanished: [], notOurs: [], retained: [] }).success).toBe(false);
  });
});
