import type { ServiceModule } from '../types';
import { ec2 } from './ec2';
import { iam } from './iam';
import { organizations } from './organizations';
import { ram } from './ram';
import { route53 } from './route53';
import { route53profiles } from './route53profiles';
import { sts } from './sts';

/** Every service the twin models by default (the local runner adds Step Functions and SNS). */
export const SERVICE_MODULES = [
  ec2,
  route53,
  route53profiles,
  ram,
  sts,
  organizations,
  iam,
] as unknown as ServiceModule<unknown, unknown>[];
