import { z } from 'zod';
import type { ServiceModule } from '../types';

/** World file section of this service (validated by twin/world.ts). */
export const ramWorldSchema = z.strictObject({}).default({});
export type RamWorld = z.infer<typeof ramWorldSchema>;

// biome-ignore lint/complexity/noBannedTypes: filled in by the service implementation.
export type RamState = {};

export const ram: ServiceModule<RamState, { ram: RamWorld }> = {
  name: 'ram',
  createState: () => ({}),
  operations: {},
};
