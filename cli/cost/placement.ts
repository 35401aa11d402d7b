import { type HubConfig, type Placement, placementOf } from '#shared/config';
import type { PriceTable } from './cost';
import { CostSourceError, type RegistryRecord } from './inputs';

/**
 * Placement per VPC and service, decided by the numbers (README "Placement", docs/cost.md "Placement per VPC and
 * service"): for each connected VPC and each catalog endpoint it uses, what a month of its traffic costs through the
 * hub's endpoint and what an endpoint in the VPC costs, and the monthly saving of moving it. Pure: no I/O, no clock.
 *
 * Both placements pay the endpoint's own processing per GB (the same price), so it cancels out: the hub adds the
 * TGW's data processing per GB on the VPC's traffic, the spoke adds the endpoint's hours in each AZ of the VPC. The
 * hub endpoint's own hours are shared by every VPC and do not change when one VPC moves (unless it was the last:
 * not counted here). Services the VPC serves itself are not spokelink's to place and are left out.
 */

/**
 * Where the per-VPC, per-service bytes come from. CloudWatch has none: TGW metrics are per attachment (BytesIn,
 * BytesOut), endpoint metrics are summed over every consumer. The figure used is a pro-rata split of each VPC's
 * attachment bytes, and this is its error, printed with the result.
 */
export const BYTE_SOURCE = {
  name: "pro-rata split of each VPC's TGW attachment bytes over the catalog endpoints it uses from the hub",
  error:
    'The attachment also carries traffic to hub destinations that are not endpoints (overstates every service), ' +
    'and an equal split misplaces traffic that goes to one service: a VPC moving all its bytes through 1 of n ' +
    'services is understated n-fold for that one and overstated for the others. Bytes of a service already in the ' +
    "VPC do not cross the attachment: it gets the average share of the VPC's hub services. Exact per-service bytes " +
    "need VPC flow logs of the hub endpoints' network interfaces (not read here).",
} as const;

export interface PlacementInputs {
  records: readonly RegistryRecord[];
  config: Pick<HubConfig, 'endpoints'>;
  prices: PriceTable;
  /** GB a month through each VPC's attachment, by VPC id; a VPC not listed gets `defaultGb`. */
  attachmentGb: Readonly<Record<string, number>>;
  defaultGb: number;
  /** AZs of an endpoint in a VPC whose record names no attachment subnets. */
  defaultAzs: number;
}

export interface PlacementRecommendation {
  vpcId: string;
  accountId: string;
  segment: string;
  service: string;
  current: 'hub' | 'spoke';
  /** What the catalog allows for the VPC's segment. */
  allowed: Placement;
  /** Estimated GB a month of this VPC through this service (BYTE_SOURCE). */
  gbPerMonth: number;
  azs: number;
  /** What differs per placement, a month: TGW data processing on the hub; endpoint AZ-hours in the spoke. */
  hubUsd: number;
  spokeUsd: number;
  recommended: 'hub' | 'spoke';
  /** Monthly saving of moving from `current` to `recommended` (0: stay). */
  savingUsd: number;
  /** Why the cheaper placement is not recommended, when the catalog forbids it. */
  note?: string;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** The recommendations, by VPC then service, for every connected record. */
export function placementRecommendations(inputs: PlacementInputs): PlacementRecommendation[] {
  const { prices } = inputs;
  const azHourUsd = prices.prices.interfaceEndpointAzHour.usd;
  const tgwGbUsd = prices.prices.tgwDataProcessingGb.usd;
  const out: PlacementRecommendation[] = [];
  const connected = inputs.records.filter((r) => r.status === 'connected');
  for (const record of [...connected].sort((a, b) => a.vpcId.localeCompare(b.vpcId))) {
    const selfServed = new Set(record.selfServed ?? []);
    const local = new Set(record.localServices ?? []);
    const endpoints = [...new Set(record.services)]
      .filter((s) => Object.hasOwn(inputs.config.endpoints, s) && !selfServed.has(s))
      .sort();
    const fromHub = endpoints.filter((s) => !local.has(s));
    if (endpoints.length === 0) continue;
    const attachment = inputs.attachmentGb[record.vpcId] ?? inputs.defaultGb;
    const share = attachment / Math.max(1, fromHub.length);
    const azs = record.attachmentSubnetIds?.length || inputs.defaultAzs;
    const spokeUsd = cents(azs * azHourUsd * prices.hoursPerMonth);
    for (const service of endpoints) {
      const allowed = placementOf(inputs.config.endpoints[service]!, record.segment);
      const current = local.has(service) ? 'spoke' : 'hub';
      const hubUsd = cents(share * tgwGbUsd);
      const cheaper = spokeUsd < hubUsd ? 'spoke' : 'hub';
      const permitted = allowed === 'either' || allowed === cheaper;
      const recommended = permitted ? cheaper : allowed === 'spoke' ? 'spoke' : 'hub';
      out.push({
        vpcId: record.vpcId,
        accountId: record.accountId,
        segment: record.segment,
        service,
        current,
        allowed,
        gbPerMonth: Math.round(share * 100) / 100,
        azs,
        hubUsd,
        spokeUsd,
        recommended,
        savingUsd: recommended === current ? 0 : cents(Math.abs(hubUsd - spokeUsd)),
        ...(permitted
          ? {}
          : { note: `the catalog places ${service} in the ${allowed} only for segment ${record.segment}` }),
      });
    }
  }
  return out;
}

/** Validates `--attachment-gb FILE`: a JSON object of VPC id -> GB a month (a number >= 0). */
export function parseAttachmentGb(raw: unknown, source: string): Record<string, number> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CostSourceError(`${source}: must be a JSON object of VPC id -> GB a month`);
  }
  const out: Record<string, number> = {};
  for (const [vpcId, gb] of Object.entries(raw)) {
    if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
      throw new CostSourceError(`${source}: ${JSON.stringify(vpcId)} is not a VPC id`);
    if (typeof gb !== 'number' || !Number.isFinite(gb) || gb < 0) {
      throw new CostSourceError(`${source}: ${vpcId} must be a number of GB >= 0, not ${JSON.stringify(gb)}`);
    }
    out[vpcId] = gb;
  }
  return out;
}
