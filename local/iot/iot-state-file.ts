import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { ENTITY_KINDS, type ChangeSet } from './registry-store';
import type { RegistrySnapshot } from './registry-rows';
import type { CertificateAuthorityMaterial } from './x509-certificates';

/** Everything the IoT endpoint keeps across a restart. Private keys of devices are never kept. */
export interface IotState {
  version: 1;
  certificateAuthority: CertificateAuthorityMaterial;
  registry: RegistrySnapshot;
}

export const STATE_FILE_NAME = 'iot-state.json';
export const JOURNAL_FILE_NAME = 'iot-journal.ndjson';
/** The journal is folded into the snapshot once it outgrows both this and the snapshot itself. */
export const DEFAULT_COMPACT_AFTER_BYTES = 16 * 1024 * 1024;

export class IotStateFileError extends Error {
  override readonly name = 'IotStateFileError';
}

export interface LoadedState {
  snapshot?: IotState;
  /** The journal lines written after the snapshot, oldest first. */
  changeSets: ChangeSet[];
}

function isChangeSet(value: unknown): value is ChangeSet {
  if (typeof value !== 'object' || value === null) return false;
  const { sequence, changes } = value as { sequence?: unknown; changes?: unknown };
  return (
    typeof sequence === 'number' &&
    Array.isArray(changes) &&
    changes.every(
      (change: unknown) =>
        typeof change === 'object' &&
        change !== null &&
        (ENTITY_KINDS as readonly unknown[]).includes((change as { kind?: unknown }).kind) &&
        typeof (change as { key?: unknown }).key === 'string',
    )
  );
}

/**
 * The endpoint's state in its data folder: a snapshot (`iot-state.json`) and a journal
 * of the changes since (`iot-journal.ndjson`), one JSON line per request that changed
 * anything. A line is written with a synchronous write(2) before the request is
 * answered, so an answered change survives the process being killed; lines are not
 * fsynced (a power loss can lose the last ones). Compaction writes a new snapshot
 * through a temporary file (fsynced, then renamed) and only then empties the journal,
 * and replaying lines a snapshot already holds gives the same state, so a crash at
 * any point leaves a state that loads.
 */
export class IotStateJournal {
  readonly snapshotFile: string;
  readonly journalFile: string;
  private journalFd: number | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;

  constructor(
    dataDir: string,
    private readonly compactAfterBytes = DEFAULT_COMPACT_AFTER_BYTES,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.snapshotFile = path.join(dataDir, STATE_FILE_NAME);
    this.journalFile = path.join(dataDir, JOURNAL_FILE_NAME);
  }

  load(): LoadedState {
    const snapshot = existsSync(this.snapshotFile) ? this.readSnapshot() : undefined;
    const changeSets: ChangeSet[] = [];
    if (existsSync(this.journalFile)) {
      const lines = readFileSync(this.journalFile, 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (line.trim() === '') return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch (error) {
          // Only the last line can be torn by a crash in the middle of its write; it was never answered.
          if (index === lines.length - 1) return;
          throw new IotStateFileError(`${this.journalFile}:${index + 1}: not a JSON line`, { cause: error });
        }
        if (!isChangeSet(parsed)) throw new IotStateFileError(`${this.journalFile}:${index + 1}: not a change set`);
        changeSets.push(parsed);
      });
    }
    return { snapshot, changeSets };
  }

  /** Appends one change set as one line, synchronously. */
  append(changeSet: ChangeSet): void {
    const line = `${JSON.stringify(changeSet)}\n`;
    this.journalFd ??= openSync(this.journalFile, 'a');
    const buffer = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < buffer.length) written += writeSync(this.journalFd, buffer, written, buffer.length - written);
    this.journalBytes += buffer.length;
  }

  /** True once the journal is large enough that folding it into a snapshot pays for itself. */
  get needsCompaction(): boolean {
    return this.journalBytes > Math.max(this.compactAfterBytes, this.snapshotBytes);
  }

  /** Writes `state` as the new snapshot and empties the journal. */
  compact(state: IotState): void {
    const temporary = `${this.snapshotFile}.${process.pid}.tmp`;
    const text = JSON.stringify(state);
    const fd = openSync(temporary, 'w');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.snapshotFile);
    this.snapshotBytes = Buffer.byteLength(text);
    this.journalFd ??= openSync(this.journalFile, 'a');
    ftruncateSync(this.journalFd);
    this.journalBytes = 0;
  }

  /** Bytes in the journal now, for tests and measurements. */
  get journalSize(): number {
    return existsSync(this.journalFile) ? statSync(this.journalFile).size : 0;
  }

  close(): void {
    if (this.journalFd !== undefined) closeSync(this.journalFd);
    this.journalFd = undefined;
  }

  private readSnapshot(): IotState {
    let state: IotState;
    try {
      state = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as IotState;
    } catch (error) {
      throw new IotStateFileError(`${this.snapshotFile}: not a JSON state snapshot`, { cause: error });
    }
    if (state.version !== 1) throw new IotStateFileError(`${this.snapshotFile}: unknown state version ${String(state.version)}`);
    return state;
  }
}
