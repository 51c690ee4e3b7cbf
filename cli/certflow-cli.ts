import { Command, CommanderError, Option } from 'commander';
import { AUDIT_SEARCHES } from './audit-view';
import { jsonText } from './cli-output';
import { CliUsageError, resolveCliTarget, type CliTarget, type Side } from './cli-target';
import * as commands from './certflow-commands';
import { CommandFailed, CommandInterrupted, EXIT_CODES, exitCodeOf, type ExitCode } from './exit-codes';

/** Where the CLI writes and what interrupts it; the process's own by default (see certflow.js). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted on Ctrl-C. */
  interrupt?: AbortSignal;
  stderrIsTerminal?: boolean;
}

interface GlobalOptions {
  json?: boolean;
  profile?: string;
  outputs?: string;
  region?: string;
  sandboxFile?: string;
}

export const EXIT_CODE_HELP = `
Exit codes:
  0    done
  1    the operation failed or was refused (a refused approval link, a FAILED
       execution, a transfer that ended other than TRANSFERRED, ...)
  2    bad usage or input (unknown command or option, a missing or invalid field,
       a missing file): the message names the field or file and the rule
  130  interrupted (Ctrl-C)

Against the local sandbox (\`npm start\`) by default; against AWS with
--profile NAME --outputs cdk-outputs.json [--region R].`;

const sideOption = (description: string) => new Option('--side <side>', description).choices(['source', 'target']);

type CommandRunner = (
  action: (context: commands.CommandContext) => Promise<commands.CommandResult>,
  options: GlobalOptions,
  stopsItself?: boolean,
) => Promise<void>;

/** The program: every command with its options and its own --help. */
function certflowProgram(io: CliIo, run: CommandRunner): Command {
  const program = new Command('certflow')
    .description('Move AWS IoT certificates between accounts, with approvals on both sides.')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      outputError: (text, write) => write(`certflow: ${text.replace(/^error: /, '')}`),
    })
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .option('--json', 'print JSON for scripts instead of text')
    .option('--profile <name>', 'run against AWS with this AWS CLI profile (needs --outputs)')
    .option('--outputs <file>', 'the stack outputs `cdk deploy --outputs-file` wrote (with --profile)')
    .option('--region <region>', 'the AWS region (with --profile; default AWS_REGION)')
    .option('--sandbox-file <file>', 'the sandbox descriptor `npm start` writes (default .certflow-data/sandbox.json)')
    .addHelpText('after', EXIT_CODE_HELP);

  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

  program
    .command('transfer')
    .description('Start the outbound workflow for one certificate: the source approvers are asked first.')
    .requiredOption('--certificate-id <id>', 'the certificate (64 hex characters)')
    .requiredOption('--to <account>', 'the target AWS account (12 digits)')
    .option('--requested-by <you>', 'no longer taken: the requester is your AWS identity (the credentials certflow runs with)')
    .option('--message <text>', 'the transfer message the target sees (at most 128 characters)')
    .option('--reason <text>', 'why, shown to the approvers (at most 256 characters)')
    .option('--no-restore', 'leave the certificate as prepared (INACTIVE, policies detached) if the transfer does not happen')
    .option('--wait', 'follow the execution to its end; exit 0 only if the certificate was transferred')
    .option(
      '--plain-offer',
      'for a target account that runs no certflow: offer right after the source approval and follow it, with no proposal first',
    )
    .addHelpText(
      'after',
      "\nTo the deployment's target account the target approves a proposal first and nothing changes until it has." +
        '\nWithout --wait it watches the first seconds, so a transfer refused at once (a missing certificate, the source as target) exits 1.' +
        "\nIt starts through the source's start API (IAM-authorized): the requester, who cannot approve it, is your AWS identity.",
    )
    .action(
      (
        options: {
          certificateId: string;
          to: string;
          requestedBy?: string;
          message?: string;
          reason?: string;
          restore: boolean;
          wait?: boolean;
          plainOffer?: boolean;
        },
        command: Command,
      ) =>
        run(
          (context) =>
            commands.startTransfer(context, { ...options, wait: options.wait === true, plainOffer: options.plainOffer === true }),
          globals(command),
          true,
        ),
    );

  program
    .command('status')
    .description("Show an execution: status, outcome, who decided and why, the error of a FAILED one, a migration run's counts.")
    .argument('<executionArn>', 'the execution ARN (the side follows from its account)')
    .addOption(sideOption('the side, when the ARN names neither known account'))
    .addHelpText('after', '\nExits 1 when the execution FAILED, TIMED_OUT or was ABORTED.')
    .action((executionArn: string, options: { side?: Side }, command: Command) =>
      run((context) => commands.showStatus(context, executionArn, options.side), globals(command)),
    );

  program
    .command('pending')
    .description('List running workflows: their state, the approval deadline and who may still decide.')
    .addOption(sideOption('only this side (default both)'))
    .action((options: { side?: Side }, command: Command) =>
      run((context) => commands.listPending(context, options.side ? [options.side] : ['source', 'target']), globals(command)),
    );

  program
    .command('links')
    .description('Sandbox only: the newest approval link of each pending request, per approver, from the notifications.')
    .option('--approver <email>', "only this approver's links")
    .addOption(sideOption("only this side's requests"))
    .action((options: { approver?: string; side?: Side }, command: Command) =>
      run((context) => commands.links(context, options), globals(command)),
    );

  program
    .command('approve')
    .description("Approve a request from its link, as the page's Approve button does.")
    .argument('<link>', 'the approval link from the notification')
    .option('--consent-to-prepare', 'agree to the certificate being set INACTIVE and its policies detached (source side)')
    .option('--set-as-active', 'set the certificate ACTIVE once accepted (target side)')
    .addHelpText(
      'after',
      '\nExits 1 when the page refuses: a forged link (403), already decided (409), expired (410), consent missing (400), ...',
    )
    .action((link: string, options: { consentToPrepare?: boolean; setAsActive?: boolean }, command: Command) =>
      run(
        () =>
          commands.decide(link, {
            decision: 'APPROVED',
            ...(options.consentToPrepare ? { consentToPrepare: 'true' } : {}),
            ...(options.setAsActive ? { setAsActive: 'true' } : {}),
          }),
        globals(command),
      ),
    );

  program
    .command('reject')
    .description("Reject a request from its link, with a reason, as the page's Reject button does.")
    .argument('<link>', 'the approval link from the notification')
    .requiredOption('--reason <why>', "why (at most 128 characters; the target side's reason reaches the source)")
    .addHelpText('after', '\nExits 1 when the page refuses (forged, already decided, expired, ...).')
    .action((link: string, options: { reason: string }, command: Command) =>
      run(() => {
        if (options.reason.trim().length === 0) throw new CliUsageError('--reason: is required to reject, at most 128 characters');
        return commands.decide(link, { decision: 'REJECTED', rejectReason: options.reason });
      }, globals(command)),
    );

  program
    .command('cancel')
    .description('Withdraw a transfer: its approval request while pending, or the offer once made.')
    .requiredOption('--certificate-id <id>', 'the certificate being transferred')
    .requiredOption('--by <you>', 'the requester or an approver')
    .action((options: { certificateId: string; by: string }, command: Command) =>
      run((context) => commands.cancel(context, options), globals(command)),
    );

  const auditCommand = program
    .command('audit')
    .description('The audit trail of both sides (oldest first), by one of the searches below.')
    .addOption(sideOption("only this side's audit table (default both)"))
    .addHelpText('after', '\nGive exactly one search option. Decision rows (ApprovalGranted, ...) are listed with the IoT Actions.');
  for (const search of AUDIT_SEARCHES) auditCommand.option(`${search.flag} <${search.value}>`, `${search.rows} (index ${search.index})`);
  auditCommand.action(
    (options: { side?: Side; certificateId?: string; requestedBy?: string; approvedBy?: string; execution?: string }, command: Command) =>
      run((context) => commands.audit(context, options, options.side), globals(command)),
  );

  program
    .command('migrate')
    .description(
      'Move every certificate of a manifest: both accounts approve, then a pipelined cutover lands them. Ctrl-C stops following (it goes on); the same command re-attaches.',
    )
    .requiredOption('--manifest <file>', 'certificate ids: CSV, or JSON (a list, {"certificateIds": [...]}, {"selector": {...}})')
    .requiredOption('--to <account>', 'the target AWS account (12 digits)')
    .option('--requested-by <you>', "refused: the requester is the caller's AWS identity")
    .option('--stop', "stop the migration's running run (the same command without --stop resumes it)")
    .option('--reason <text>', 'why, shown to the approvers')
    .option('--message <text>', 'the transfer message (at most 128 characters)')
    .option('--report <path>', 'writes <path>.csv and <path>.json (default certflow-migration-<id>)')
    .option('--migration-id <id>', 'names the migration (default: follows from the manifest and the target)')
    .addHelpText(
      'after',
      '\nExits 0 when every certificate is LANDED or ALREADY_TRANSFERRED, 1 otherwise (the report names them), 130 on Ctrl-C (the migration goes on).',
    )
    .action((options: commands.MigrateOptions, command: Command) =>
      run((context) => commands.migrate(context, options), globals(command), true),
    );

  return program;
}

function describeError(error: unknown): string {
  const reachable = (value: unknown): value is { code?: string; address?: string; port?: number; cause?: unknown } =>
    typeof value === 'object' && value !== null;
  for (let cause: unknown = error; reachable(cause); cause = cause.cause) {
    if (cause.code === 'ECONNREFUSED') {
      return `cannot reach ${cause.address ?? ''}${cause.port ? `:${cause.port}` : ''}: is the sandbox running (\`npm start\`)?`;
    }
  }
  return error instanceof Error ? error.message : String(error);
}

/** Runs one certflow command line and answers its exit code (see EXIT_CODES). */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  let json = false;
  const interrupt = io.interrupt ?? new AbortController().signal;
  const run: CommandRunner = async (action, options, stopsItself = false) => {
    json = options.json === true;
    let target: CliTarget | undefined;
    const context = {
      // Resolved when a command first needs it, after it has checked its input: bad input is named even without a sandbox.
      get target(): CliTarget {
        target ??= resolveCliTarget({
          profile: options.profile,
          outputs: options.outputs,
          region: options.region,
          sandboxFile: options.sandboxFile,
        });
        return target;
      },
      signal: interrupt,
      progress: (line: string) => io.stderr(`${line}\n`),
      interactive: io.stderrIsTerminal === true,
    };
    // A command that has nothing to stop ends at Ctrl-C; one that has (a migration's workflow) stops it first.
    const interrupted = new Promise<never>((_, reject) => {
      const fail = () => reject(new CommandInterrupted('interrupted'));
      if (interrupt.aborted) fail();
      else interrupt.addEventListener('abort', fail, { once: true });
    });
    // Handled here too, so an interruption nobody races for is not an unhandled rejection.
    interrupted.catch(() => undefined);
    const result = stopsItself ? await action(context) : await Promise.race([interrupted, action(context)]);
    io.stdout(`${json ? jsonText(result.json) : result.text}\n`);
  };
  try {
    await certflowProgram(io, run).parseAsync(argv, { from: 'user' });
    return EXIT_CODES.done;
  } catch (error) {
    // Commander has printed its own message (and the help it shows) already.
    if (error instanceof CommanderError) return exitCodeOf(error);
    if (error instanceof CommandFailed && error.shown) io.stdout(`${json ? jsonText(error.shown.json) : error.shown.text}\n`);
    const code = exitCodeOf(error);
    io.stderr(`certflow: ${describeError(error)}\n`);
    return code;
  }
}
