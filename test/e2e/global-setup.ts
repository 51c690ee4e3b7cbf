import { ensureSynthesized } from '../../local/cloudformation/cloud-assembly';
import { sandboxSynthContext } from '../../local/sandbox-accounts';
import { E2E_ASSEMBLY, E2E_CONTEXT } from './sandbox-fixture';

/** Synthesizes the app once for every end-to-end test file (each starts its own sandbox from it). */
export default function globalSetup(): void {
  ensureSynthesized(E2E_ASSEMBLY, (line) => console.log(line), sandboxSynthContext(undefined, E2E_CONTEXT));
}
