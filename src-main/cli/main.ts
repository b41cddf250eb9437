/**
 * Entry of the `nos` command line (bin/nos.js). `runCli` returns the exit code instead of
 * exiting, so tests and other hosts can call it.
 */
import { CommanderError } from 'commander';
import { NosError } from '../contract/errors';
import { buildProgram } from './program';
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeFor, Output, type CliStreams } from './output';

/** Runs `nos` with `args` (without the node and script paths) and returns its exit code. */
export async function runCli(args: string[], streams?: CliStreams): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram({ streams, setExitCode: (c) => (code = c) });
  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not failures; every other parse error is bad input. Commander has
      // printed the message; --json still gets its one document.
      if (err.exitCode === 0) return EXIT_OK;
      new Output(args.includes('--json'), streams).document({
        error: {
          code: 'BAD_INPUT',
          message: err.message.replace(/^error: /, ''),
          hint: 'Run with --help for usage.',
        },
      });
      return EXIT_BAD_INPUT;
    }
    new Output(args.includes('--json'), streams).error(err);
    return exitCodeFor(err);
  }
}

export function main(argv: string[]): void {
  runCli(argv.slice(2)).then(
    (code) => process.stdout.write('', () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`nos: ${err instanceof NosError ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
