import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RegistrySnapshot } from './certificate-registry';
import type { CertificateAuthorityMaterial } from './x509-certificates';

/** Everything the IoT endpoint keeps across a restart. Private keys of devices are never kept. */
export interface IotState {
  version: 1;
  certificateAuthority: CertificateAuthorityMaterial;
  registry: RegistrySnapshot;
}

export const STATE_FILE_NAME = 'iot-state.json';
const SAVE_DELAY_MS = 50;

/**
 * The endpoint's state as one JSON file in its data folder. Saves are debounced (a burst
 * of changes costs one write) and atomic: written to a temporary file, then renamed over
 * the old one, so a crash leaves either the old state or the new one.
 */
export class IotStateFile {
  readonly file: string;
  private timer: NodeJS.Timeout | undefined;
  private pending: (() => IotState) | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, STATE_FILE_NAME);
  }

  load(): IotState | undefined {
    if (!existsSync(this.file)) return undefined;
    const state = JSON.parse(readFileSync(this.file, 'utf8')) as IotState;
    if (state.version !== 1) throw new Error(`${this.file}: unknown state version ${String(state.version)}`);
    return state;
  }

  /** Saves `state()` about 50 ms from now, once for all changes made meanwhile. */
  scheduleSave(state: () => IotState): void {
    this.pending = state;
    this.timer ??= setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Writes a scheduled save now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const state = this.pending;
    this.pending = undefined;
    if (state) this.write(state());
  }

  write(state: IotState): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state));
    renameSync(temporary, this.file);
  }
}
