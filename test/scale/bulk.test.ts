import { describeBulk } from './bulk';

// Five VPCs, one of them prod (the scale tier runs 40 in bulk.scale.test.ts, the bench 1,000).
describeBulk({ accounts: 5, vpcsPerAccount: 1, seed: 11, zones: 11 });
