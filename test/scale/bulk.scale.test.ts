import { describeBulk } from './bulk';

// The migration day of bulk.test.ts at 40 VPCs in 8 accounts (scale tier, `npm run test:scale`).
describeBulk({ accounts: 8, vpcsPerAccount: 5, seed: 11, zones: 85 });
