import { escapeControl } from '#shared/display';
import type { ChargebackReport } from './chargeback';
import type { ArchitectureCost, CostResult } from './cost';
import type { DerivedInputs } from './inputs';
import { BYTE_SOURCE, type PlacementRecommendation } from './placement';
import type { RegionsCostResult } from './regions';

/** Plain-text rendering of cost and chargeback results for the terminal (pure; the CLI prints the strings). */

type Align = 'left' | 'right';

/** Renders rows as columns padded to their widest cell; `align` per column (default left). */
export function renderTable(rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (align[i] === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `$1,234.50`. */
export function formatUsd(value: number, fractionDigits = 2): string {
  const text = Math.abs(value).toLocaleString('en-US', {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  });
  return `${value < 0 ? '-' : ''}$${text}`;
}

const number = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 4 });

function unitPrice(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 })}`;
}

function architectureRows(title: string, cost: ArchitectureCost): string[][] {
  return [
    [title, '', '', '', ''],
    ...cost.lineItems.map((item) => [
      // Labels can carry names from hand-made files (segments, VPC ids of --inter-region): escaped for the terminal.
      `  ${escapeControl(item.label)}`,
      number(item.quantity),
      item.unit,
      unitPrice(item.unitUsd),
      formatUsd(item.usd),
    ]),
    ['  Total per month', '', '', '', formatUsd(cost.monthlyUsd)],
  ];
}

function inputLine(result: CostResult): string {
  const { vpcs, services, azs, gbPerVpcMonth, hubVpcAzs, existingTgw, servicesPerVpc } = result.inputs;
  const parts = [
    `${number(vpcs)} spoke VPCs`,
    `${number(services)} services`,
    `${azs} AZs`,
    `${number(gbPerVpcMonth)} GB/VPC/month`,
  ];
  if (servicesPerVpc !== services) parts.push(`${number(servicesPerVpc)} services per VPC on average`);
  if (hubVpcAzs !== azs) parts.push(`hub endpoints in ${hubVpcAzs} AZs`);
  if (existingTgw) parts.push('TGW attachments already exist');
  const { region, asOf, hoursPerMonth } = result.prices;
  return `${parts.join(', ')}\nPrices: ${region} as of ${asOf} (confirm against the AWS pricing pages), ${number(hoursPerMonth)} hours/month`;
}

function breakEvenLines(result: CostResult): string[] {
  const { vpcs, gbPerVpcMonth } = result.inputs;
  const inN =
    result.breakEvenVpcs === null
      ? `none (${result.breakEvenVpcsReason})`
      : `${number(result.breakEvenVpcs)} VPCs: from there centralized costs at most decentralized (at ${number(gbPerVpcMonth)} GB/VPC/month)`;
  const inG =
    result.breakEvenGb === null
      ? `none (${result.breakEvenGbReason})`
      : `${number(result.breakEvenGb)} GB/VPC/month: up to there centralized costs at most decentralized (at ${number(vpcs)} VPCs)`;
  return [`Break-even in N: ${inN}`, `Break-even in G: ${inG}`];
}

function derivedLines(derived: DerivedInputs & { source: string }): string[] {
  const lines = [
    `From ${derived.source}: ${derived.vpcs} connected VPCs in ${derived.accounts} accounts, services ${derived.serviceNames.join(', ') || '(none)'}`,
  ];
  if (derived.unknownServices.length > 0) {
    lines.push(`  not in the catalog, not priced: ${derived.unknownServices.join(', ')}`);
  }
  if (derived.unusedCatalogServices.length > 0) {
    lines.push(`  catalog endpoints no connected VPC uses, not priced: ${derived.unusedCatalogServices.join(', ')}`);
  }
  return lines;
}

/** The human-readable output of `spokelink cost`: inputs, both architectures' line items, break-even, advice. */
export function formatCostReport(result: CostResult, derived?: DerivedInputs & { source: string }): string {
  const table = renderTable(
    [
      ['', 'quantity', 'unit', 'unit price', 'USD/month'],
      ...architectureRows('Decentralized (interface endpoints in every spoke VPC)', result.decentralized),
      ...architectureRows('Centralized (endpoints once in the hub, through the TGW)', result.centralized),
    ],
    ['left', 'right', 'left', 'right', 'right'],
  );
  return [
    ...(derived ? derivedLines(derived) : []),
    inputLine(result),
    '',
    table,
    '',
    ...breakEvenLines(result),
    '',
    `Recommendation: ${result.recommendation}`,
    `DNS mode: zones ${formatUsd(result.dnsModes.zonesUsd)}/month, profile ${formatUsd(result.dnsModes.profileUsd)}/month: ${result.dnsModes.recommendation}`,
    '',
    'Assumptions:',
    ...result.assumptions.map((a) => `  - ${a}`),
    '',
  ].join('\n');
}

/** The human-readable output of `spokelink cost --regions`: inputs, the three designs' line items, crossovers, advice. */
export function formatRegionsReport(result: RegionsCostResult, source?: string): string {
  const { inputs, prices } = result;
  const regions = inputs.regions.map(
    (r) => `${escapeControl(r.region)} (${number(r.vpcs)} VPCs, ${number(r.services)} services, DNS ${r.dnsMode})`,
  );
  const table = renderTable(
    [
      ['', 'quantity', 'unit', 'unit price', 'USD/month'],
      ...result.ranking.flatMap((id, rank) =>
        architectureRows(`${rank + 1}. ${id}: ${result.designs[id].title}`, result.designs[id]),
      ),
    ],
    ['left', 'right', 'left', 'right', 'right'],
  );
  const crossovers = result.crossovers.map((c) =>
    c.interRegionGb === null
      ? `  ${c.below} / ${c.from}: none (${c.reason})`
      : `  ${c.below} / ${c.from}: ${c.from} costs at most ${c.below} from ${number(c.interRegionGb)} GB/month`,
  );
  const priceDates = Object.entries(prices.regions)
    .map(([region, p]) => `${region} table as of ${p.asOf}`)
    .join(', ');
  return [
    ...(source ? [`From ${source}`] : []),
    `Regions: ${regions.join(', ')}`,
    `${inputs.azs} AZs, ${number(inputs.gbPerVpcMonth)} GB/VPC/month in each region, inter-region ${number(inputs.interRegionGb)} GB/month in ${inputs.flows.length} flow(s)`,
    `Prices: pricing/regions.json as of ${prices.asOf} (${priceDates}; confirm against the AWS pricing pages), ${number(prices.hoursPerMonth)} hours/month`,
    '',
    table,
    '',
    'Crossovers in inter-region GB/month (every flow scaled in proportion):',
    ...crossovers,
    '',
    `Recommendation: ${result.recommendation}`,
    '',
    'Assumptions:',
    ...result.assumptions.map((a) => `  - ${a}`),
    '',
  ].join('\n');
}

/**
 * The placement advice of `spokelink cost --from-registry|--from-world`: one row per VPC and service, the moves first
 * by saving, then the byte source and its error. Names are escaped for the terminal (records can be hand-made files).
 */
export function formatPlacement(recommendations: readonly PlacementRecommendation[]): string {
  const moves = recommendations.filter((r) => r.savingUsd > 0);
  const rows = [...recommendations].sort((a, b) => b.savingUsd - a.savingUsd || a.vpcId.localeCompare(b.vpcId));
  const table = renderTable(
    [
      ['VPC', 'service', 'now', 'GB/month', 'hub USD', 'spoke USD', 'advice', 'saving/month'],
      ...rows.map((r) => [
        escapeControl(r.vpcId),
        escapeControl(r.service),
        r.current,
        number(r.gbPerMonth),
        formatUsd(r.hubUsd),
        formatUsd(r.spokeUsd),
        r.recommended === r.current ? `stay in the ${r.current}` : `move to the ${r.recommended}`,
        formatUsd(r.savingUsd),
      ]),
    ],
    ['left', 'left', 'left', 'right', 'right', 'right', 'left', 'right'],
  );
  const total = moves.reduce((sum, r) => sum + r.savingUsd, 0);
  return [
    '',
    `Placement per VPC and service (${moves.length} move(s), ${formatUsd(total)}/month in all):`,
    table,
    ...recommendations.filter((r) => r.note).map((r) => `  note: ${escapeControl(r.vpcId)} ${escapeControl(r.note!)}`),
    `Hub USD: the TGW's data processing on the service's bytes; spoke USD: an endpoint's hours in the VPC's AZs (the`,
    `endpoint's own processing per GB is the same in both places).`,
    `Bytes: ${BYTE_SOURCE.name}.`,
    `Error: ${BYTE_SOURCE.error}`,
    '',
  ].join('\n');
}

/** The summary tables of `spokelink chargeback`: per VPC, unallocated, per account (cents, for reading). */
export function formatChargebackSummary(report: ChargebackReport): string {
  const { summary } = report;
  const hours = (h: number) => h.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const byVpc = renderTable(
    [
      ['account', 'VPC', 'segment', 'hours connected', 'USD'],
      // Names from registry files and --inter-region flows (a VPC id there is free text): escaped for the terminal.
      ...summary.byVpc.map((v) => [
        escapeControl(v.accountId),
        escapeControl(v.vpcId),
        escapeControl(v.segment),
        hours(v.connectedHours),
        formatUsd(v.usd),
      ]),
    ],
    ['left', 'left', 'left', 'right', 'right'],
  );
  const unallocated = renderTable(
    [
      ['category', 'item', 'USD'],
      ...summary.unallocated.map((u) => [u.category, escapeControl(u.item), formatUsd(u.usd)]),
    ],
    ['left', 'left', 'right'],
  );
  const byAccount = renderTable(
    [
      ['account', 'USD'],
      ...summary.byAccount.map((a) => [escapeControl(a.accountId), formatUsd(a.usd)]),
      ['unallocated', formatUsd(summary.unallocatedUsd)],
      ['total', formatUsd(summary.totalUsd)],
    ],
    ['left', 'right'],
  );
  return [
    `Chargeback ${summary.month} (UTC, ${summary.hoursInMonth} hours): hub cost ${formatUsd(summary.totalUsd)} = ` +
      `allocated ${formatUsd(summary.allocatedUsd)} + unallocated ${formatUsd(summary.unallocatedUsd)}`,
    '',
    'By VPC (pro rata by hours connected)',
    summary.byVpc.length > 0 ? byVpc : '  no VPC was connected in the month',
    '',
    'Unallocated (no consumer in the month)',
    summary.unallocated.length > 0 ? unallocated : '  none',
    '',
    'By account',
    byAccount,
    '',
    'Amounts are rounded to cents for reading; the CSV has exact micro-dollars that add up to the total.',
    ...summary.warnings.map((w) => `warning: ${w}`),
    '',
  ].join('\n');
}
