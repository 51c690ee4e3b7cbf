import { CommanderError } from 'commander';
import { ManifestError } from '../lambdas/migration/migration-manifest';
import { ValidationError } from '../lambdas/iot-api/field-rules';
import { CliUsageError } from './cli-target';

/** certflow's exit codes, one table for every command (README, "The CLI"). */
export const EXIT_CODES = {
  /** The operation was done. */
  done: 0,
  /** The operation failed or was refused: a refused approval link, a FAILED execution, a transfer that did not transfer. */
  failed: 1,
  /** Bad usage or input: an unknown command or option, a missing or invalid field, a missing file. */
  usage: 2,
  /** Interrupted by Ctrl-C (SIGINT), as shells report a process ended by SIGINT: 128 + 2. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The operation ran and did not succeed; what it found is still shown (on stdout, or as --json). */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';

  constructor(
    message: string,
    /** What the command shows despite failing: the refused page, the FAILED execution. */
    readonly shown?: { json: unknown; text: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Ctrl-C ended the command (after it stopped what it had to stop). */
export class CommandInterrupted extends Error {
  override readonly name = 'CommandInterrupted';
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CommandInterrupted) return EXIT_CODES.interrupted;
  if (error instanceof CliUsageError || error instanceof ValidationError || error instanceof ManifestError) return EXIT_CODES.usage;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.done : EXIT_CODES.usage;
  return EXIT_CODES.failed;
}
