import { ApprovalContract } from '../functions/approval/contract';
import { ConsumerContract } from '../functions/consumer/contract';
import { LeaseContract } from '../functions/lease/contract';
import { ReconcileContract } from '../functions/reconcile/contract';
import { RecordsContract } from '../functions/records/contract';
import { RollbackContract } from '../functions/rollback/contract';
import { RoutesContract } from '../functions/routes/contract';
import { StatusContract } from '../functions/status/contract';
import { TransitGatewayContract } from '../functions/transit-gateway/contract';
import { ValidateContract } from '../functions/validate/contract';
import { ZonesContract } from '../functions/zones/contract';

/**
 * Each workflow function's contract (`functions/<name>/contract.ts`), by its folder name: the builder types the
 * Tasks' actions from it, the audit reads each step's result with it.
 */
export const CONTRACTS = {
  approval: ApprovalContract,
  consumer: ConsumerContract,
  lease: LeaseContract,
  reconcile: ReconcileContract,
  records: RecordsContract,
  rollback: RollbackContract,
  routes: RoutesContract,
  status: StatusContract,
  'transit-gateway': TransitGatewayContract,
  validate: ValidateContract,
  zones: ZonesContract,
} as const;

export type FunctionContracts = typeof CONTRACTS;
