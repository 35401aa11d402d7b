import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '#shared/config';
import { exampleConfig, exampleHubTemplate, flat, newHubStack } from './helpers';

/**
 * The hub stack's capacity dashboard and headroom alarms: the headroom the reconcile publishes (`Headroom*`,
 * namespace `spokelink`, dimension `service`), the step metrics' outcomes and the intake queue depth on one
 * dashboard, and one alarm per headroom metric below `capacity.headroomAlarmPercent`, to the failure topic.
 */

function alarmsOf(template: Template) {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm'))
    .map((a) => a.Properties as Record<string, unknown>)
    .filter((p) => String(p.MetricName ?? '').startsWith('Headroom'));
}

describe('Hub stack: capacity dashboard and headroom alarms', () => {
  it('alarms on each headroom metric of zones mode below the default margin (10%), to the failure topic', () => {
    const template = exampleHubTemplate();
    const alarms = alarmsOf(template);
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(
      ['HeadroomEndpointRules', 'HeadroomTgwAttachments', 'HeadroomTgwRoutes', 'HeadroomZoneAssociations'].sort(),
    );
    const topic = Object.keys(
      template.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'spokelink-failures' } }),
    );
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        Namespace: 'spokelink',
        Dimensions: [{ Name: 'service', Value: 'spokelink' }],
        Statistic: 'Minimum',
        Threshold: 10,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions).toEqual([{ Ref: topic[0] }]);
    }
    expect(alarms.find((a) => a.MetricName === 'HeadroomTgwAttachments')?.AlarmName).toBe(
      'spokelink-headroom-tgw-attachments',
    );
  });

  it('uses the configured margin, and Profile associations instead of zones in profile mode', () => {
    const raw = JSON.parse(JSON.stringify(exampleConfig()));
    const config = parseConfig({ ...raw, dns: { mode: 'profile' }, capacity: { headroomAlarmPercent: 25 } }, 'c');
    const alarms = alarmsOf(Template.fromStack(newHubStack({ config })));
    expect(alarms.map((a) => a.MetricName)).toContain('HeadroomProfileAssociations');
    expect(alarms.map((a) => a.MetricName)).not.toContain('HeadroomZoneAssociations');
    expect(new Set(alarms.map((a) => a.Threshold))).toEqual(new Set([25]));
  });

  it('publishes one dashboard with the headroom, the onboarding step outcomes and the intake queue depth', () => {
    const template = exampleHubTemplate();
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe('spokelink-capacity');
    const body = JSON.parse(flat(dashboards[0]!.Properties.DashboardBody)) as {
      widgets: { properties: { title?: string; metrics?: unknown[][]; annotations?: unknown } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    expect(titles).toEqual([
      'Headroom (% of quota left)',
      'Headroom now (%)',
      'Onboarding outcomes: steps succeeded and failed',
      'Step duration (p90, ms)',
      'Intake queue depth',
    ]);
    const text = JSON.stringify(body);
    for (const metric of ['HeadroomTgwAttachments', 'HeadroomEndpointRules', 'IntakeQueueDepth']) {
      expect(text).toContain(metric);
    }
    expect(text).toContain(
      `SEARCH('{spokelink,action,function,service} MetricName=\\"StepFailed\\" service=\\"spokelink\\"', 'Sum', 300)`,
    );
    expect(JSON.stringify(body.widgets[1]!.properties.annotations)).toContain('"value":10');
  });
});
