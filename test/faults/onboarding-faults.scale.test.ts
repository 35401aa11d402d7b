import { describeFaultProperties, faultFreeReferences } from './helpers';

/**
 * The fault-schedule properties of onboarding-faults.test.ts with many seeded runs (scale tier, `npm run test:scale`):
 * the same properties, the same seeds, more schedules.
 */

describeFaultProperties({ onboard: 25, offboard: 25, offboardAfterFaultedOnboard: 15 }, faultFreeReferences());
