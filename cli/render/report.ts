import type { SimulationReport } from '#local/report';
import { causeMessage, clip, duration, table } from './format';

/** Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1; ../shared pricing table). */
const PRICE_PER_TRANSITION = 0.025 / 1000;

/** The end-of-run report of `spokelink simulate` as text. */
export function renderReport(report: SimulationReport, options: { savedTo?: string } = {}): string {
  const out: string[] = [];
  const accounts = new Set(report.vpcs.map((v) => v.accountId));
  const { clock } = report;
  out.push(
    `Simulated ${duration(clock.simulatedSeconds * 1000)} of AWS time in ${duration(clock.wallSeconds * 1000)} ` +
      `(${clock.mode} clock${clock.mode === 'virtual' ? '; --clock real runs at AWS pace' : ''}), ` +
      `${report.vpcs.length} VPCs in ${accounts.size} accounts.`,
  );

  out.push(
    ...section(
      'VPCs (status tags written by spokelink):',
      ['VPC', 'account', 'CIDR', 'requested', 'status', 'detail'],
      report.vpcs.map((v) => [
        v.vpcId,
        v.accountId,
        v.cidrs.join(','),
        v.requested.connect === undefined
          ? '-'
          : [
              `connect=${v.requested.connect}`,
              v.requested.segment ? `segment=${v.requested.segment}` : '',
              v.requested.services ? `services=${v.requested.services}` : '',
            ]
              .filter(Boolean)
              .join(' '),
        v.status ?? (v.requested.connect === undefined ? 'untouched' : '(none)'),
        clip(v.detail ?? '', 110),
      ]),
    ),
  );

  out.push(
    ...section(
      'Created (consumer registry):',
      ['VPC', 'status', 'segment', 'attachment', 'routes', 'zones', 'SG rules', 'endpoint services'],
      report.registry.map((r) => [
        r.vpcId,
        r.status ?? '',
        r.segment ?? '',
        r.attachmentId ?? '-',
        String(r.routes),
        r.zones.length > 0 ? r.zones.join(',') : '-',
        String(r.securityGroupRules),
        String(r.endpointServicePrincipals),
      ]),
      'nothing',
    ),
  );

  const changes = Object.entries(report.changes);
  if (changes.length > 0) {
    out.push('', 'AWS resources changed (twin state before/after):');
    out.push(
      `  ${changes
        .map(([kind, c]) =>
          [c.added ? `+${c.added}` : '', c.changed ? `~${c.changed}` : '', c.removed ? `-${c.removed}` : '']
            .filter(Boolean)
            .map((n) => `${kind} ${n}`)
            .join(', '),
        )
        .join('; ')}`,
    );
  }

  out.push(
    ...section(
      'Executions:',
      ['name', 'status', 'started', 'took', 'transitions', 'lambdas', 'error'],
      report.executions.map((e) => [
        e.name,
        e.status,
        `T+${duration(e.startedAtSeconds * 1000)}`,
        e.durationSeconds === undefined ? 'running' : duration(e.durationSeconds * 1000),
        String(e.stateTransitions),
        String(e.lambdaInvocations),
        e.error ? clip(`${e.error}: ${causeMessage(e.cause)}`, 80) : '',
      ]),
      'none',
    ),
  );
  const cost = report.stateTransitions * PRICE_PER_TRANSITION;
  out.push(
    `  ${report.stateTransitions} state transitions (Step Functions Standard: $${cost.toFixed(4)}), ` +
      `${report.lambdaInvocations.total} Lambda invocations` +
      (report.lambdaInvocations.failed
        ? ` (${report.lambdaInvocations.failed} ended in an error that the workflow retried or caught)`
        : ''),
  );

  const { awsCalls } = report;
  out.push(
    ...section(
      `AWS calls: ${awsCalls.total}` +
        (awsCalls.failed
          ? ` (${awsCalls.failed} answered with an error, ${awsCalls.throttled} of them throttled)`
          : ''),
      ['service', 'operation', 'calls', 'errors', 'throttled'],
      awsCalls.byOperation.map((o) => [
        o.service,
        o.operation,
        String(o.calls),
        o.failed ? String(o.failed) : '',
        o.throttled ? String(o.throttled) : '',
      ]),
    ),
  );

  const ev = report.events;
  out.push(
    '',
    `Events: ${ev.delivered} delivered to the intake` +
      (ev.dropped ? `, ${ev.dropped} dropped` : '') +
      (ev.failed ? `, ${ev.failed} failed` : '') +
      `; ${ev.unmatched} matched no rule (status-only tag changes, other API calls)` +
      (ev.notForwarded ? `; ${ev.notForwarded} from accounts without the spoke stack` : '') +
      (ev.denied ? `; ${ev.denied} refused by the hub bus policy` : '') +
      '.',
  );
  const queue = report.intakeQueue;
  if (queue && (queue.peakDepth > 0 || queue.depth > 0)) {
    const busiest = Object.entries(queue.peakByAccount)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([account, n]) => `${account} ${n}`)
      .join(', ');
    out.push(
      `Intake queue: ${queue.depth} waiting now; at most ${queue.peakDepth} waited at once (per-account limits, ` +
        `debouncing; most in ${busiest}).`,
    );
  }
  if (report.notifications.length > 0) {
    out.push(
      `Notifications: ${report.notifications.length} (${report.notifications.map((n) => n.subject ?? n.topic).join('; ')})`,
    );
  }
  if (report.regions) {
    const counts = (tally: Record<string, number>) =>
      Object.entries(tally)
        .map(([key, n]) => `${n} ${key}`)
        .join(', ') || '-';
    out.push(
      ...section(
        'Regions (one hub each):',
        ['region', 'workflows', 'spoke VPCs', 'executions', 'events', 'peering'],
        report.regions.map((r) => [
          r.region,
          r.up ? 'up' : 'DOWN',
          counts(r.vpcs),
          counts(r.executions),
          `${r.events.delivered} delivered` +
            (r.events.held ? `, ${r.events.held} held` : '') +
            (r.events.failed ? `, ${r.events.failed} failed` : ''),
          r.peerings
            .map((p) => `${p.peerRegion} ${p.attachmentId} ${p.state}, ${p.staticRoutes.length} static route(s)`)
            .join('; ') || '-',
        ]),
      ),
    );
  }
  if (options.savedTo) {
    out.push('', `Executions, histories, registry and this report saved to ${options.savedTo}.`);
  }
  return `${out.join('\n')}\n`;
}

/** A titled table after a blank line; with no rows and an `empty` word, that word instead of the table. */
function section(title: string, header: string[], rows: string[][], empty?: string): string[] {
  return ['', title, rows.length === 0 && empty !== undefined ? `  ${empty}` : table(header, rows)];
}
