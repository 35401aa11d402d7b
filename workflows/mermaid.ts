import { ALL, type Branch, type Catcher, type State, type StateMachine, type States } from './builder';

/**
 * Mermaid flowcharts of a workflow, from the same graph that becomes its ASL: the docs show what runs.
 * - `full`: every state; each Parallel a subgraph of its branches; a Choice's rules and specific catches labelled;
 *   catch-alls dotted.
 * - `compact`: each Parallel one node naming its branches; catch-alls left out (every step's unexpected error goes to
 *   the failure path the full chart shows).
 */
export type Detail = 'full' | 'compact';

type Rule = { [field: string]: unknown };

const COMPARATORS: Record<string, string> = {
  StringEquals: '=',
  BooleanEquals: '=',
  NumericEquals: '=',
  StringEqualsPath: '= ',
};

/** A Choice rule in words (`$.plan.change.membership = existing`). */
export function describeRule(rule: Rule): string {
  if (Array.isArray(rule.And)) {
    const parts = (rule.And as Rule[]).filter((r) => !(r.IsPresent === true && (rule.And as Rule[]).length > 1));
    return parts.map(describeRule).join(' and ');
  }
  if (Array.isArray(rule.Or)) return (rule.Or as Rule[]).map(describeRule).join(' or ');
  if (rule.Not) return `not ${describeRule(rule.Not as Rule)}`;
  const variable = String(rule.Variable);
  if (rule.IsPresent !== undefined) return rule.IsPresent ? `${variable} present` : `${variable} absent`;
  for (const [field, symbol] of Object.entries(COMPARATORS)) {
    if (field in rule) return `${variable} ${symbol.trim()} ${String(rule[field])}`;
  }
  return variable;
}

/** Text safe inside a quoted Mermaid label. */
function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;').replace(/\|/g, '#124;')}"`;
}

function node(name: string, s: State, detail: Detail): string {
  switch (s.Type) {
    case 'Choice':
      return `${name}{${label(name)}}`;
    case 'Succeed':
      return `${name}([${label(name)}])`;
    case 'Fail':
      return `${name}([${label(`${name}: Fail`)}])`;
    case 'Parallel':
      if (detail === 'compact') {
        const branches = (s.Branches as Branch[]).map((b) =>
          Object.keys(b.States).filter(isWork(b.States)).join(' → '),
        );
        return `${name}[[${label(`${name}: ${branches.join(' ∥ ')}`)}]]`;
      }
      return name;
    case 'Map':
      return `${name}[[${label(`${name}: Map`)}]]`;
    default:
      return name;
  }
}

/** The states of a branch that do something (not the Pass states that shape its output). */
function isWork(all: States): (name: string) => boolean {
  return (name) => all[name]?.Type !== 'Pass';
}

function edges(name: string, s: State, detail: Detail): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(`${name} --> ${s.Next}`);
  for (const rule of (s.Choices as Rule[] | undefined) ?? []) {
    out.push(`${name} -->|${label(describeRule(rule))}| ${String(rule.Next)}`);
  }
  if (typeof s.Default === 'string') out.push(`${name} -->|otherwise| ${s.Default}`);
  for (const c of (s.Catch as Catcher[] | undefined) ?? []) {
    if (c.ErrorEquals.includes(ALL)) {
      if (detail === 'full') out.push(`${name} -.->|error| ${c.Next}`);
    } else {
      out.push(`${name} -->|${label(c.ErrorEquals.join(', '))}| ${c.Next}`);
    }
  }
  return out;
}

function lines(all: States, detail: Detail, indent: string): string[] {
  const out: string[] = [];
  for (const [name, s] of Object.entries(all)) {
    const inner = s.Type === 'Parallel' && detail === 'full' ? (s.Branches as Branch[]) : [];
    const processor = s.Type === 'Map' && detail === 'full' ? [s.ItemProcessor as Branch] : [];
    if (inner.length > 0 || processor.length > 0) {
      out.push(`${indent}subgraph ${name} [${label(`${name}: ${s.Type}`)}]`);
      out.push(`${indent}  direction TB`);
      for (const b of [...inner, ...processor]) out.push(...lines(b.States, detail, `${indent}  `));
      out.push(`${indent}end`);
    } else {
      out.push(`${indent}${node(name, s, detail)}`);
    }
    out.push(...edges(name, s, detail).map((e) => `${indent}${e}`));
  }
  return out;
}

/** The flowchart of a workflow (without the fence). */
export function mermaid(machine: StateMachine, detail: Detail): string {
  return ['flowchart TD', ...lines(machine.States, detail, '  ')].join('\n');
}
