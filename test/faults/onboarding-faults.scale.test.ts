import { describeFaultProperties, describeLostResponses, faultFreeReferences, LOST_RESPONSES } from './helpers';

/**
 * The fault cases of onboarding-faults.test.ts at full size (scale tier, `npm run test:scale`): the fault-schedule
 * properties with many seeded runs (the same properties, the same seeds, more schedules), and the lost responses of
 * every mutating call of the two workflows (one of each kind in onboarding-faults.test.ts).
 */

const reference = faultFreeReferences();

describeFaultProperties({ onboard: 25, offboard: 25, offboardAfterFaultedOnboard: 15 }, reference);

describeLostResponses(LOST_RESPONSES, reference);
