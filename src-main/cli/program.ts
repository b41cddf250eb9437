/**
 * The `nos` command tree (commander). Every command resolves to an exit code: 0 done, 1 a run
 * failed (or storage / memory refused), 2 bad input (a malformed flag or file, a missing dataset
 * or run, a conflicting state), 130 stopped with Ctrl-C (the run is paused).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { NosService } from '../api/service';
import { RUN_SORT_FIELDS } from '../contract/api';
import { DATASET_FORMATS } from '../contract/datasets';
import { PRESET_NAMES } from '../contract/config';
import { BACKEND_NAMES, SEARCH_SPACE_NAMES } from '../contract/primitives';
import { RUN_KINDS, RUN_STATUSES } from '../contract/runs';
import { resolveDataDir } from '../store/paths';
import * as datasets from './commands/datasets';
import * as runs from './commands/runs';
import * as system from './commands/system';
import * as train from './commands/train';
import { Output, type CliStreams } from './output';
import { withSession } from './session';

interface GlobalFlags {
  dataDir?: string;
  json?: boolean;
}

function integer(what: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(
        `${what} must be an integer >= ${min}; received ${JSON.stringify(value)}.`,
      );
    }
    return n;
  };
}

/** A number in [min, max] (integer when `int`), for flags that mirror bounded schema fields. */
function bounded(what: string, min: number, max: number, int: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (int && !Number.isInteger(n)) ||
      n < min ||
      n > max
    ) {
      throw new InvalidArgumentError(
        `${what} must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}; received ${JSON.stringify(value)}.`,
      );
    }
    return n;
  };
}

const runId = integer('A run id', 1);
/** Every kind but `teacher` has a backend field (a teacher run picks `auto`; see `nos doctor`). */
const backendOption = () =>
  new Option('--backend <name>', 'compute backend (see `nos doctor`)').choices(BACKEND_NAMES);
const collect = (value: string, previous: string[] = []) => [...previous, value];

export interface ProgramHooks {
  streams?: CliStreams;
  /** Set by every action: the exit code of the command. */
  setExitCode(code: number): void;
}

export function buildProgram(hooks: ProgramHooks): Command {
  const program = new Command('nos')
    .description('NOS Studio: neural operator search on TensorFlow.js')
    .option(
      '--data-dir <dir>',
      'data directory (default: NOS_STUDIO_HOME or the per-user app-data folder)',
    )
    .option('--json', 'print one JSON document with the result on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Before any subcommand is added: subcommands copy these settings when they are created.
  const { streams } = hooks;
  if (streams) {
    program.configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    });
  }

  /** Wraps a command body: output for its flags, a session on its data directory. */
  const withService =
    <A extends unknown[]>(
      body: (service: NosService, output: Output, ...args: A) => Promise<number>,
    ) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const output = new Output(flags.json === true, hooks.streams);
      const passed = args.slice(0, -1) as A;
      hooks.setExitCode(
        await withSession(flags.dataDir, (service) => body(service, output, ...passed)),
      );
    };

  const trainingOptions = (cmd: Command, kind: string) =>
    cmd
      .option('--dataset <name>', 'dataset id or name (default: the bundled Fashion-MNIST sample)')
      .addOption(
        new Option('--preset <name>', 'settings to start from')
          .choices(PRESET_NAMES)
          .default('quick'),
      )
      .option('--config <file>', 'JSON file of settings laid over the preset')
      .option('--seed <n>', 'random seed', integer('--seed', 0))
      .option('--name <name>', `a name for the ${kind} in the run list`)
      .option('--tag <tag>', 'a tag (repeatable)', collect);

  // --- datasets ------------------------------------------------------------------------------
  const ds = program.command('datasets').description('import and manage datasets');
  ds.command('import <path>')
    .description('import CIFAR-10/100, MNIST/Fashion-MNIST (IDX) or an image folder')
    .addOption(
      new Option('--format <format>', 'what the files are (default: detected)').choices(
        DATASET_FORMATS,
      ),
    )
    .option('--name <name>', 'display name (also gives the id)')
    .addOption(
      new Option('--labels <set>', 'CIFAR-100: fine (100 classes) or coarse (20)').choices([
        'fine',
        'coarse',
      ]),
    )
    .option(
      '--size <px>',
      'image folders: side images are resized to (default 32)',
      bounded('--size', 8, 512, true),
    )
    .addOption(
      new Option('--channels <n>', 'image folders: 3 (RGB) or 1 (grey); default 3').choices([
        '1',
        '3',
      ]),
    )
    .option(
      '--test-fraction <f>',
      'image folders without val/: share of each class held out for testing (default 0.2)',
      bounded('--test-fraction', 0.01, 0.5, false),
    )
    .option(
      '--seed <n>',
      'image folders: seed of the held-out choice (default 0)',
      integer('--seed', 0),
    )
    .option(
      '--max-corrupt <f>',
      'image folders: refuse the import when more than this share of files is unreadable (default 0.01)',
      bounded('--max-corrupt', 0, 1, false),
    )
    .action(
      withService((s, o, path: string, f: datasets.ImportFlags) =>
        datasets.importData(s, o, path, f),
      ),
    );
  ds.command('list')
    .description('list imported datasets')
    .action(withService((s, o) => datasets.list(s, o)));
  ds.command('show <id>')
    .description('one dataset: classes and counts')
    .action(withService((s, o, id: string) => datasets.show(s, o, id)));
  ds.command('delete <id>')
    .description('delete a dataset and its files')
    .action(withService((s, o, id: string) => datasets.remove(s, o, id)));

  // --- training runs -------------------------------------------------------------------------
  const teacher = program.command('teacher').description('teacher networks');
  trainingOptions(
    teacher.command('train').description('train a teacher network'),
    'teacher run',
  ).action(withService((s, o, f: train.TrainFlags) => train.teacherTrain(s, o, f)));

  trainingOptions(
    program.command('search').description('search a cell architecture (NOS)'),
    'search',
  )
    .addOption(new Option('--space <space>', 'search space').choices(SEARCH_SPACE_NAMES))
    .addOption(backendOption())
    .option('--teacher <runId>', 'guide the search with this stored teacher run', runId)
    .action(
      withService((s, o, f: train.TrainFlags & { teacher?: number }) => train.search(s, o, f)),
    );

  trainingOptions(
    program.command('evaluate').description('train a searched or given cell from scratch'),
    'evaluation',
  )
    .option('--run <searchId>', 'the search run whose genotype to evaluate', runId)
    .option(
      '--genotype <file|name>',
      'a genotype file, or a published genotype (darts-v1, darts-v2)',
    )
    .addOption(backendOption())
    .action(withService((s, o, f: train.EvaluateFlags) => train.evaluate(s, o, f)));

  trainingOptions(
    program.command('random-baseline').description('evaluate random cells from a space'),
    'baseline',
  )
    .addOption(new Option('--space <space>', 'search space').choices(SEARCH_SPACE_NAMES))
    .addOption(backendOption())
    .action(withService((s, o, f: train.TrainFlags) => train.randomBaseline(s, o, f)));

  trainingOptions(
    program.command('op-study').description('the self-calibration operation study'),
    'op study',
  )
    .addOption(backendOption())
    .action(withService((s, o, f: train.TrainFlags) => train.opStudy(s, o, f)));

  // --- run history ---------------------------------------------------------------------------
  const rs = program.command('runs').description('the run history');
  rs.command('list')
    .description('list runs, newest first')
    .addOption(new Option('--kind <kind>').choices(RUN_KINDS))
    .addOption(new Option('--status <status>').choices(RUN_STATUSES))
    .option('--dataset <id>', 'runs on this dataset')
    .option('--tag <tag>', 'runs with this tag')
    .option('--text <text>', 'runs whose name, note or tags contain this')
    .addOption(
      new Option('--sort <field>', 'sort by').choices(RUN_SORT_FIELDS).default('createdAt'),
    )
    .option('--asc', 'ascending order')
    .option('--offset <n>', 'skip this many', integer('--offset', 0))
    .option('--limit <n>', 'show at most this many', integer('--limit', 1), 50)
    .action(
      withService((s, o, f: runs.ListFlags & { sort: runs.ListFlags['sortBy']; asc?: boolean }) => {
        const { sort, asc, ...rest } = f;
        return runs.list(s, o, { ...rest, sortBy: sort, sortDir: asc ? 'asc' : 'desc' });
      }),
    );
  // The commands that act on one run by id.
  const onOneRun = [
    ['show', 'one run in detail', runs.show],
    ['resume', 'continue a paused, interrupted or failed run', runs.resume],
    ['cancel', 'cancel a queued, running or paused run', runs.cancel],
    ['delete', 'delete a run and its files', runs.remove],
  ] as const;
  for (const [name, description, act] of onOneRun) {
    rs.command(name)
      .description(description)
      .argument('<runId>', 'run id', runId)
      .action(withService((s, o, id: number) => act(s, o, id)));
  }
  rs.command('compare')
    .description('runs side by side')
    .argument('<runIds...>', 'run ids', (value: string, previous: number[] = []) => [
      ...previous,
      runId(value),
    ])
    .action(withService((s, o, ids: number[]) => runs.compare(s, o, ids)));

  // --- exports and system --------------------------------------------------------------------
  const ex = program.command('export').description('export results of a run');
  ex.command('genotype')
    .description("write a run's final genotype (NOS JSON, or DARTS text for darts-space runs)")
    .argument('<runId>', 'run id', runId)
    .requiredOption('-o, --output <path>', 'file to write')
    .option(
      '--format <format>',
      'json (NOS genotype) or darts (text form); default from the extension',
    )
    .action(
      withService((s, o, id: number, f: { output: string; format?: string }) =>
        system.exportGenotype(s, o, id, f.output, f.format),
      ),
    );
  ex.command('weights')
    .description("write a run's trained network as a TensorFlow.js model")
    .argument('<runId>', 'run id', runId)
    .requiredOption('-o, --output <dir>', 'folder to write model.json and weights into')
    .action(
      withService((s, o, id: number, f: { output: string }) =>
        system.exportWeights(s, o, id, f.output),
      ),
    );

  program
    .command('serve')
    .description('serve the app and its API on 127.0.0.1 (open the printed address)')
    .option('--port <port>', 'TCP port (0: any free one)', integer('--port', 0), 0)
    .action(async (f: { port: number }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const output = new Output(flags.json === true, hooks.streams);
      hooks.setExitCode(await system.serve(resolveDataDir(flags.dataDir), output, f.port));
    });

  program
    .command('doctor')
    .description('which compute backends work here, and how to fix the others')
    .action(withService((s, o) => system.doctor(s, o)));

  return program;
}
