import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A dead-letter queue: encrypted (SQS-managed keys, which EventBridge, SNS and Scheduler can write to without a key
 * policy), TLS only, messages kept the maximum 14 days for inspection and redrive.
 */
export function deadLetterQueue(scope: Construct, id: string, purpose: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    `This queue is itself the dead-letter queue for ${purpose}; a DLQ of a DLQ would only move the same messages.`,
  );
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    `This queue is itself the dead-letter queue for ${purpose}; it is read by operators, never by a consumer.`,
  );
  return queue;
}
