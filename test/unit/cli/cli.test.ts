/**
 * The `nos` command line end to end: real data directory, real bundled sample import, real
 * worker processes (running the tiny test job instead of the long real trainers), exit codes and
 * the --json document. Two cases spawn bin/nos.js itself; the rest call runCli in-process.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src-main/cli/main';
import { JOB_MODULES_ENV } from '../../../src-main/cli/session';
import { writeCifar100, writeImageFolder } from '../data/fixtures';
import { tempDir } from '../store/helpers';

const TINY = resolve(__dirname, '..', 'jobs', 'fixtures', 'tiny-job.ts');
const FAILING = resolve(__dirname, 'fixtures', 'failing-job.ts');
const BIN = resolve(__dirname, '..', '..', '..', 'bin', 'nos.js');

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  tmp = tempDir('nos-cli-');
  process.env[JOB_MODULES_ENV] = JSON.stringify({ search: TINY, evaluation: TINY, teacher: TINY });
});
afterAll(() => {
  delete process.env[JOB_MODULES_ENV];
  tmp.cleanup();
});

/** Runs `nos ARGS --data-dir DIR` in-process; returns exit code, stdout and stderr. */
async function nos(args: string[], dataDir = join(tmp.dir, 'data')) {
  let stdout = '';
  let stderr = '';
  const code = await runCli([...args, '--data-dir', dataDir], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
  });
  return { code, stdout, stderr };
}

describe('nos search', () => {
  it('imports the bundled sample on first use, runs, and prints one JSON document', async () => {
    const first = await nos(['search', '--preset', 'smoke', '--json']);
    expect(first.stderr).toMatch(/importing the bundled sample/);
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc).toMatchObject({
      runId: 1,
      kind: 'search',
      status: 'completed',
      dataset: 'fashion-mnist-sample',
    });
    expect(doc.genotype).toMatchObject({ version: 1, space: 'darts', normal: expect.any(Array) });

    const second = await nos(['search', '--preset', 'smoke', '--seed', '3', '--tag', 'again']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/importing/);
    expect(second.stdout).toMatch(/run 2 completed/);
    const datasets = JSON.parse((await nos(['datasets', 'list', '--json'])).stdout);
    expect(datasets).toHaveLength(1);
    const run = JSON.parse((await nos(['runs', 'show', '2', '--json'])).stdout);
    expect(run.config).toMatchObject({ seed: 3, epochs: 1 });
  });

  it.each([
    [['--config', 'missing.json'], /Config file .*missing.json does not exist/],
    [
      ['--config', 'CONFIG:{"space":"nas"}'],
      /space: .*expected one of .*nos.*received "nas"|space: .*"nas"/,
    ],
    [['--config', 'CONFIG:{"batch": 8, }'], /is not valid JSON/],
    [['--config', 'CONFIG:[1]'], /must hold a JSON object/],
    [
      ['--config', 'CONFIG:{"epoch": 3, "teacher": {"arc": "resnet18"}}'],
      /unknown fields:\n  epoch: not a search setting; known here: .*epochs[\s\S]*teacher\.arc: not a search setting/,
    ],
    [['--dataset', 'cifar-11'], /No dataset named "cifar-11"/],
    [['--preset', 'huge'], /argument 'huge' is invalid\. Allowed choices are smoke, quick, paper/],
    [['--space', 'nas'], /Allowed choices are nos, darts, feature\+attention, feature\+dynamic/],
  ])('exits 2 on bad input %j, naming the problem, storing nothing', async (flags, message) => {
    const args = flags.map((f) => {
      if (!f.startsWith('CONFIG:')) return f;
      const file = join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, f.slice('CONFIG:'.length));
      return file;
    });
    const dataDir = join(tmp.dir, 'bad-input');
    const result = await nos(['search', '--preset', 'smoke', ...args], dataDir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    const runs = JSON.parse((await nos(['runs', 'list', '--json'], dataDir)).stdout);
    expect(runs.total).toBe(0);
  });

  it('reports bad input as a JSON error document with --json', async () => {
    const result = await nos(
      ['search', '--dataset', 'nope', '--json'],
      join(tmp.dir, 'json-error'),
    );
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});

describe('nos runs and export', () => {
  it('lists, compares, exports a genotype, refuses to resume a completed run, deletes', async () => {
    const list = JSON.parse((await nos(['runs', 'list', '--kind', 'search', '--json'])).stdout);
    expect(list.runs.map((r: { id: number }) => r.id)).toEqual([2, 1]);
    const table = await nos(['runs', 'list', '--sort', 'id', '--asc']);
    expect(table.stdout.split('\n')[2]).toMatch(
      /^\s*1\s+search\s+completed\s+fashion-mnist-sample/,
    );

    const compare = JSON.parse((await nos(['runs', 'compare', '1', '2', '--json'])).stdout);
    expect(compare.rows).toHaveLength(2);

    const out = join(tmp.dir, 'genotype.json');
    expect((await nos(['export', 'genotype', '1', '-o', out])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ version: 1, space: 'darts' });
    const darts = join(tmp.dir, 'genotype.txt');
    expect((await nos(['export', 'genotype', '1', '-o', darts])).code).toBe(0);
    expect(readFileSync(darts, 'utf8')).toMatch(/^Genotype\(normal=/);

    const resume = await nos(['runs', 'resume', '1']);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(
      /Run 1 is completed; only paused, interrupted, failed runs can be resumed/,
    );

    expect((await nos(['runs', 'delete', '2'])).code).toBe(0);
    expect((await nos(['runs', 'show', '2'])).code).toBe(2);
  });

  it('exits 2 for evaluate without --run or --genotype', async () => {
    const result = await nos(['evaluate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pass --run SEARCH_ID or --genotype FILE\|NAME/);
  });
});

describe('nos datasets import', () => {
  it('passes the import flags: CIFAR-100 coarse labels, image folder size and channels', async () => {
    const dataDir = join(tmp.dir, 'imports');
    const cifar = writeCifar100(join(tmp.dir, 'c100'), 6, 2);
    const coarse = await nos(
      ['datasets', 'import', cifar, '--labels', 'coarse', '--name', 'c100', '--json'],
      dataDir,
    );
    expect(coarse.code).toBe(0);
    expect(JSON.parse(coarse.stdout)).toMatchObject({
      format: 'cifar100',
      classCount: 20,
      options: { labels: 'coarse' },
    });

    const root = join(tmp.dir, 'flowers');
    await writeImageFolder(root, ['daisy', 'rose'], 5);
    const images = await nos(
      [
        'datasets',
        'import',
        root,
        '--size',
        '12',
        '--channels',
        '1',
        '--test-fraction',
        '0.2',
        '--json',
      ],
      dataDir,
    );
    expect(images.code).toBe(0);
    expect(JSON.parse(images.stdout)).toMatchObject({
      format: 'image-folder',
      imageShape: [12, 12, 1],
      testCount: 2,
    });
  });

  it('refuses a folder with too many corrupt images, and skips and lists them under --max-corrupt', async () => {
    const dataDir = join(tmp.dir, 'corrupt');
    const root = join(tmp.dir, 'corrupt-images');
    await writeImageFolder(root, ['a', 'b'], 10);
    writeFileSync(join(root, 'b', 'broken.jpg'), 'definitely not a jpeg');
    const refused = await nos(['datasets', 'import', root, '--size', '8'], dataDir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /1 of 21 images are unreadable or corrupt, more than the 1\.0% allowed: .*broken\.jpg/,
    );
    expect(refused.stderr).toMatch(/--max-corrupt/);
    const skipped = await nos(
      ['datasets', 'import', root, '--size', '8', '--max-corrupt', '0.1'],
      dataDir,
    );
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/skipped 1 unreadable image .*\n {2}.*broken\.jpg: /);
  });

  it('offers the real data found on this machine that is not imported yet', async () => {
    const listed = await nos(['datasets', 'list'], join(tmp.dir, 'offers'));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /found on this machine: Fashion-MNIST sample \(bundled\), 3000 training and 1000 test images/,
    );
    expect(listed.stdout).toMatch(/import it with `nos datasets import .*fashion-mnist-sample`/);
  });

  it.each([
    [['--size', '4'], /--size must be an integer from 8 to 512; received "4"/],
    [['--test-fraction', 'half'], /--test-fraction must be a number from 0.01 to 0.5/],
    [['--channels', '2'], /Allowed choices are 1, 3/],
    [['--format', 'mnist', '--labels', 'coarse'], /--labels applies to CIFAR-100 only/],
  ])('exits 2 on %j, naming the flag and what it allows', async (flags, message) => {
    const result = await nos(
      ['datasets', 'import', join(tmp.dir, 'anything'), ...flags],
      join(tmp.dir, 'imports-bad'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('nos evaluate and argument checks', () => {
  it('refuses an unknown published genotype or a malformed genotype file before a run exists', async () => {
    const dataDir = join(tmp.dir, 'evaluate-bad');
    const unknown = await nos(['evaluate', '--preset', 'smoke', '--genotype', 'darts-v9'], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /No published genotype named "darts-v9": expected one of darts-v1, darts-v2/,
    );
    const file = join(tmp.dir, 'broken-genotype.json');
    writeFileSync(file, '{"version": 1, "space": "nas"}');
    const malformed = await nos(['evaluate', '--preset', 'smoke', '--genotype', file], dataDir);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(`${file}: Invalid genotype: space`);
    expect(JSON.parse((await nos(['runs', 'list', '--json'], dataDir)).stdout).total).toBe(0);
  });

  it('evaluates a published genotype on the chosen backend', async () => {
    const dataDir = join(tmp.dir, 'evaluate');
    const result = await nos(
      ['evaluate', '--preset', 'smoke', '--genotype', 'darts-v2', '--backend', 'cpu', '--json'],
      dataDir,
    );
    expect(result.code).toBe(0);
    const run = JSON.parse(
      (await nos(['runs', 'show', String(JSON.parse(result.stdout).runId), '--json'], dataDir))
        .stdout,
    );
    expect(run).toMatchObject({ kind: 'evaluation', status: 'completed' });
    expect(run.config).toMatchObject({
      backend: 'cpu',
      genotype: { from: 'published', name: 'darts-v2' },
    });
  });

  it('names a malformed run id, and gives the --json document for it', async () => {
    const plain = await nos(['runs', 'show', 'abc']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(
      /'abc' is invalid for argument 'runId'\. A run id must be an integer >= 1/,
    );
    const json = await nos(['runs', 'compare', '1', 'x', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'BAD_INPUT', message: expect.stringContaining('"x"') },
    });
  });
});

describe('bin/nos.js', () => {
  const env = (modules: Record<string, string>) => ({
    ...process.env,
    [JOB_MODULES_ENV]: JSON.stringify(modules),
  });

  it('exits 1 with the error and hint when the run fails, and 0 for help', () => {
    const dataDir = join(tmp.dir, 'data');
    const failed = spawnSync(
      process.execPath,
      [BIN, 'search', '--preset', 'smoke', '--json', '--data-dir', dataDir],
      {
        env: env({ search: FAILING }),
        encoding: 'utf8',
      },
    );
    expect(failed.status).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      status: 'failed',
      error: { message: 'The search loss became NaN at epoch 1.', hint: 'Lower weightLr.' },
    });
    expect(failed.stderr).toMatch(/hint: Lower weightLr\./);

    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /datasets[\s\S]*search[\s\S]*runs[\s\S]*export[\s\S]*serve[\s\S]*doctor/,
    );
  });
});
