// Each test file starts without the AsyncLocalStorage instances of the files its worker ran before (test/async-context.ts).
import { disableEarlierFilesStorages } from './async-context';

disableEarlierFilesStorages();
