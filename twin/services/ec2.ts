import { z } from 'zod';
import type { ServiceModule } from '../types';

/** World file section of this service (validated by twin/world.ts). */
export const ec2WorldSchema = z.strictObject({}).default({});
export type Ec2World = z.infer<typeof ec2WorldSchema>;

// biome-ignore lint/complexity/noBannedTypes: filled in by the service implementation.
export type Ec2State = {};

export const ec2: ServiceModule<Ec2State, { ec2: Ec2World }> = {
  name: 'ec2',
  createState: () => ({}),
  operations: {},
};
