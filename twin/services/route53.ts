import { z } from 'zod';
import type { ServiceModule } from '../types';

/** World file section of this service (validated by twin/world.ts). */
export const route53WorldSchema = z.strictObject({}).default({});
export type Route53World = z.infer<typeof route53WorldSchema>;

// biome-ignore lint/complexity/noBannedTypes: filled in by the service implementation.
export type Route53State = {};

export const route53: ServiceModule<Route53State, { route53: Route53World }> = {
  name: 'route53',
  createState: () => ({}),
  operations: {},
};
