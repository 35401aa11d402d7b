import { costChartSpec, costCurve, renderSvg } from '../../cli/cost/chart';
import { costModel, defaultPriceTable } from '../../cli/cost/cost';

const input = { vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices: defaultPriceTable() };
const result = costModel(input);

describe('Function: costCurve', () => {
  it('has both series at every x, including the inputs and both sides of the break-even', () => {
    const points = costCurve(input, result, 'vpcs');
    const xs = (architecture: string) => points.filter((p) => p.architecture === architecture).map((p) => p.x);

    expect(xs('decentralized')).toEqual(xs('centralized'));
    expect(xs('centralized')).toEqual(expect.arrayContaining([1, 2, 100]));
    expect(points).toContainEqual({ x: 100, architecture: 'centralized', monthlyUsd: 4_060.5 });
    expect(points).toContainEqual({ x: 1, architecture: 'centralized', monthlyUsd: 298.5 });
  });

  it('plots against G with the break-even in GB', () => {
    const points = costCurve(input, result, 'gb');

    expect(points.map((p) => p.x)).toEqual(expect.arrayContaining([0, 50, 8_994]));
  });
});

describe('Function: renderSvg', () => {
  it('renders both series and the break-even rule and label as SVG, headless', async () => {
    const svg = await renderSvg(costChartSpec(input, result, 'vpcs'));

    expect(svg).toMatch(/^<svg/);
    expect(svg.match(/<g class="mark-line role-mark/g)).toHaveLength(2);
    expect(svg).toContain('architecture: decentralized');
    expect(svg).toContain('architecture: centralized');
    expect(svg).toMatch(/<g class="mark-rule role-mark/);
    expect(svg).toContain('break-even: 2 VPCs');
  });

  it('labels the G axis and its break-even', async () => {
    const svg = await renderSvg(costChartSpec(input, result, 'gb'));

    expect(svg).toContain('GB per VPC per month (G)');
    expect(svg).toContain('break-even: 8,994 GB/VPC/month');
  });

  it('says when there is no break-even in range instead of drawing a rule', async () => {
    const none = { vpcs: 10, services: 1, azs: 2, gbPerVpcMonth: 100, prices: defaultPriceTable() };
    const spec = costChartSpec(none, costModel(none), 'vpcs');

    expect((spec.layer as unknown[]).length).toBe(1);
    expect(JSON.stringify(spec.title)).toContain('no break-even in range');
  });
});
