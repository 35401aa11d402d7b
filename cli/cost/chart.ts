import { pathToFileURL } from 'node:url';
import { runInThisContext, constants as vmConstants } from 'node:vm';
import { type CostInput, type CostResult, costTotals, MAX_SPOKE_VPCS } from './cost';

/**
 * The `--plot FILE.svg` chart of `spokelink cost`: both monthly costs against N (VPCs) or G (GB/VPC/month), the
 * break-even marked with a rule and a label. The spec is plain vega-lite (pure); {@link renderSvg} compiles and
 * renders it headless with vega's `renderer: 'none'` (no canvas, no browser).
 */

export type ChartAxis = 'vpcs' | 'gb';

/** One point of one series. */
export interface CurvePoint {
  x: number;
  architecture: 'decentralized' | 'centralized';
  monthlyUsd: number;
}

const POINTS = 120;

function xValues(result: CostResult, axis: ChartAxis): number[] {
  if (axis === 'vpcs') {
    const target = Math.max(10, result.inputs.vpcs * 1.5, (result.breakEvenVpcs ?? 0) * 2);
    const max = Math.min(MAX_SPOKE_VPCS, Math.ceil(target));
    const step = Math.max(1, Math.ceil(max / POINTS));
    const xs = new Set<number>([1, max, result.inputs.vpcs]);
    for (let n = 1; n <= max; n += step) xs.add(n);
    if (result.breakEvenVpcs !== null) for (const n of [result.breakEvenVpcs - 1, result.breakEvenVpcs]) xs.add(n);
    return [...xs].filter((n) => n >= 1 && n <= max).sort((a, b) => a - b);
  }
  const max = Math.ceil(Math.max(100, result.inputs.gbPerVpcMonth * 1.5, (result.breakEvenGb ?? 0) * 1.5));
  const xs = new Set<number>([0, max, result.inputs.gbPerVpcMonth]);
  for (let i = 0; i <= POINTS; i += 1) xs.add(Math.round((max * i) / POINTS));
  if (result.breakEvenGb !== null) xs.add(result.breakEvenGb);
  return [...xs].sort((a, b) => a - b);
}

/** Both series over a range of N (or G) around the inputs and the break-even, other inputs unchanged. */
export function costCurve(input: CostInput, result: CostResult, axis: ChartAxis): CurvePoint[] {
  return xValues(result, axis).flatMap((x) => {
    const totals = costTotals(axis === 'vpcs' ? { ...input, vpcs: x } : { ...input, gbPerVpcMonth: x });
    return [
      { x, architecture: 'decentralized' as const, monthlyUsd: totals.decentralizedUsd },
      { x, architecture: 'centralized' as const, monthlyUsd: totals.centralizedUsd },
    ];
  });
}

/** A vega-lite spec as a plain object (vega-lite validates it when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

/** The chart's vega-lite spec: two lines (one per architecture), a rule and a label at the break-even. */
export function costChartSpec(input: CostInput, result: CostResult, axis: ChartAxis): VegaLiteSpec {
  const { services, azs, vpcs, gbPerVpcMonth } = result.inputs;
  const breakEven = axis === 'vpcs' ? result.breakEvenVpcs : result.breakEvenGb;
  const xTitle = axis === 'vpcs' ? 'spoke VPCs (N)' : 'GB per VPC per month (G)';
  const fixed = axis === 'vpcs' ? `${gbPerVpcMonth} GB/VPC/month` : `${vpcs} VPCs`;
  const label =
    breakEven === null
      ? 'no break-even in range'
      : axis === 'vpcs'
        ? `break-even: ${breakEven} VPCs`
        : `break-even: ${breakEven.toLocaleString('en-US')} GB/VPC/month`;
  const x = { field: 'x', type: 'quantitative', title: xTitle };
  const layers: unknown[] = [
    {
      data: { values: costCurve(input, result, axis) },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'monthlyUsd', type: 'quantitative', title: 'USD per month' },
        color: {
          field: 'architecture',
          type: 'nominal',
          title: 'architecture',
          scale: { domain: ['decentralized', 'centralized'], range: ['#d62728', '#1f77b4'] },
        },
      },
    },
  ];
  if (breakEven !== null) {
    layers.push(
      {
        data: { values: [{ x: breakEven }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#555' },
        encoding: { x },
      },
      {
        data: { values: [{ x: breakEven, label }] },
        mark: { type: 'text', align: 'left', dx: 6, dy: -6, color: '#333' },
        encoding: { x, y: { value: 12 }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Monthly cost: decentralized vs centralized interface endpoints',
      subtitle: `${services} services, ${azs} AZs, ${fixed}; ${label}; prices ${result.prices.region} as of ${result.prices.asOf}`,
    },
    width: 640,
    height: 360,
    layer: layers,
  };
}

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

type Importer = (url: string) => Promise<unknown>;

// vega and vega-lite are ESM-only (vega with top-level await), and this project compiles to CommonJS, where
// `import()` becomes `require()`. A native import() from code compiled at run time keeps it an ESM import. Under a
// sandbox without a dynamic-import hook (jest's vm contexts) the main context's loader is used instead.
const nativeImport = new Function('url', 'return import(url)') as Importer;
let mainContextImport: Importer | undefined;

async function importEsm(specifier: string): Promise<unknown> {
  const url = pathToFileURL(require.resolve(specifier)).href;
  try {
    return await nativeImport(url);
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')) throw error;
    mainContextImport ??= runInThisContext('(url) => import(url)', {
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as Importer;
    return mainContextImport(url);
  }
}

/** Compiles a vega-lite spec and renders it to SVG text, headless. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = (await importEsm('vega')) as VegaModule;
  const vegaLite = (await importEsm('vega-lite')) as VegaLiteModule;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
