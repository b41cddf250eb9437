/**
 * The whole product path in a real browser: `nos serve` on an empty data directory, then, as a
 * user would, import the bundled dataset, configure and launch a smoke search, watch it finish
 * live, open its cell graph, compare it with the published table and export its genotype. Charts
 * must really paint (canvas pixels), the console must stay free of errors, and every step leaves
 * a screenshot in test-results/e2e/.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateGenotype } from '../../src-main/contract';
import { byTestId, canvasPaint, startApp, type App } from './harness';

/**
 * A chart counts as painted when a share of its canvas differs from the background and, for
 * charts whose data is drawn in colour (bars, lines, markers), enough coloured pixels exist:
 * axes and labels alone are grey. A heatmap of nearly equal alphas may be one dark colour, so
 * it is judged by the area it covers.
 */
async function expectPainted(
  app: App,
  testid: string,
  want: { inkShare?: number; chromatic?: number } = {},
): Promise<void> {
  const box = byTestId(app.page, testid);
  await box.waitFor({ state: 'visible' });
  // ECharts animates in: give it a moment to finish drawing.
  await app.page.waitForTimeout(1200);
  const paint = await canvasPaint(box);
  expect(paint.width, `${testid} canvas width`).toBeGreaterThan(50);
  const share = paint.inkPixels / (paint.width * paint.height);
  expect(share, `${testid} share of painted pixels (${JSON.stringify(paint)})`).toBeGreaterThan(
    want.inkShare ?? 0.02,
  );
  expect(paint.chromaticPixels, `${testid} coloured pixels`).toBeGreaterThanOrEqual(
    want.chromatic ?? 50,
  );
}

describe('NOS Studio in the browser', () => {
  let app: App;
  let runId = 0;
  const go = (hash: string) => app.page.goto(`${app.server.url}#${hash}`);

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('opens with the token and shows the app', async () => {
    await byTestId(app.page, 'nav').waitFor();
    await byTestId(app.page, 'runs-view').waitFor();
    await app.screenshot('start');
  });

  it('imports the bundled dataset and shows its samples and class histogram', async () => {
    await go('/datasets/import');
    const card = app.page
      .locator('[data-testid^="dataset-detected-"]', { hasText: /bundled/i })
      .first();
    await card.locator('[data-testid^="dataset-detected-use-"]').click();
    await byTestId(app.page, 'dataset-step-review').waitFor({ timeout: 60_000 });
    await app.screenshot('dataset-review');
    await byTestId(app.page, 'dataset-import-submit').click();
    await byTestId(app.page, 'dataset-view').waitFor({ timeout: 60_000 });
    const samples = byTestId(app.page, 'dataset-samples').locator('img');
    await samples.first().waitFor();
    expect(await samples.count()).toBeGreaterThanOrEqual(10);
    await expectPainted(app, 'chart-class-histogram', { inkShare: 0.1, chromatic: 2000 });
    await app.screenshot('dataset');
  });

  it('configures a smoke search in the wizard and launches it', async () => {
    await byTestId(app.page, 'dataset-search').click();
    await byTestId(app.page, 'search-wizard').waitFor();
    await byTestId(app.page, 'search-preset-smoke').click();
    const review = byTestId(app.page, 'search-step-review');
    for (let i = 0; i < 8 && !(await review.isVisible()); i++) {
      await byTestId(app.page, 'search-next').click();
    }
    await review.waitFor();
    await byTestId(app.page, 'search-estimate').waitFor({ timeout: 60_000 });
    await app.screenshot('search-review');
    await byTestId(app.page, 'search-launch').click();
    await byTestId(app.page, 'run-view').waitFor();
    runId = Number(/#\/runs\/(\d+)/.exec(app.page.url())?.[1]);
    expect(runId).toBeGreaterThan(0);
  });

  it('watches the search live until it completes', async () => {
    await byTestId(app.page, 'run-progress').waitFor({ timeout: 120_000 });
    // Step reports stream in over the WebSocket while the worker trains: loss and speed appear
    // without a reload, and the label names the phase, epoch and step.
    await byTestId(app.page, 'run-progress-stats').waitFor({ timeout: 120_000 });
    expect(await byTestId(app.page, 'run-progress').textContent()).toMatch(
      /epoch \d+\/\d+ · step \d+\/\d+/,
    );
    await app.screenshot('run-live');
    await expect
      .poll(
        async () => (await byTestId(app.page, 'run-status').textContent())?.trim().toLowerCase(),
        {
          timeout: 540_000,
          interval: 2_000,
        },
      )
      .toMatch(/completed|failed/);
    expect((await byTestId(app.page, 'run-status').textContent())?.toLowerCase()).toContain(
      'completed',
    );
    await app.screenshot('run-completed');
    await expectPainted(app, 'chart-loss');
    await expectPainted(app, 'chart-accuracy');
    await expectPainted(app, 'chart-alpha-heatmap', { inkShare: 0.2, chromatic: 0 });
  });

  it("opens the run's cell graphs with both tiers and alpha on hover", async () => {
    await byTestId(app.page, 'run-open-cells').click();
    await byTestId(app.page, 'cell-view').waitFor();
    for (const cell of ['normal', 'reduce']) {
      const graph = byTestId(app.page, `cell-graph-${cell}`);
      await graph.locator('svg').first().waitFor();
      expect(await graph.locator('svg path, svg line').count(), `${cell} edges`).toBeGreaterThan(4);
      // Both tiers are drawn: first-tier ops on the inputs, second-tier ops on surrogates.
      const titles = (await graph.locator('svg title').allTextContents()).join('\n');
      expect(titles, `${cell} first tier`).toMatch(/tier 1/);
      expect(titles, `${cell} second tier`).toMatch(/tier 2/);
    }
    // Hovering an op of the normal cell names its alpha weight under that graph.
    const normal = byTestId(app.page, 'cell-graph-normal');
    const op = normal.locator('[data-op]').first();
    expect(await op.count(), 'ops in the normal cell').toBe(1);
    await op.hover();
    await expect
      .poll(async () => byTestId(normal, 'cell-hover').textContent())
      .toMatch(/alpha weight \d\.\d/);
    await app.screenshot('cells');

    // Cell images: an SVG document and a PNG file, as the export buttons write them.
    const [svg] = await Promise.all([
      app.page.waitForEvent('download'),
      byTestId(app.page, 'cell-export-svg-normal').click(),
    ]);
    const svgText = readFileSync(await svg.path(), 'utf8');
    expect(svgText).toMatch(/<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svgText).toContain('tier 2');
    const [png] = await Promise.all([
      app.page.waitForEvent('download'),
      byTestId(app.page, 'cell-export-png-reduce').click(),
    ]);
    const bytes = readFileSync(await png.path());
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(2000);
  });

  it('compares the run with the published table', async () => {
    await go('/runs');
    await byTestId(app.page, `runs-check-${runId}`).check();
    await byTestId(app.page, 'runs-compare').click();
    await byTestId(app.page, 'compare-view').waitFor();
    await expectPainted(app, 'chart-compare-params');
    const table = byTestId(app.page, 'compare-reference');
    await table.waitFor();
    expect(await table.textContent()).toMatch(/NOS/);
    await app.screenshot('compare');
  });

  it('exports the genotype as JSON', async () => {
    await go(`/runs/${runId}`);
    await byTestId(app.page, 'run-open-export').click();
    await byTestId(app.page, 'export-view').waitFor();
    const [download] = await Promise.all([
      app.page.waitForEvent('download'),
      byTestId(app.page, 'export-genotype-json').click(),
    ]);
    const file = await download.path();
    const genotype = validateGenotype(JSON.parse(readFileSync(file, 'utf8')));
    expect(genotype.normal.length).toBeGreaterThan(0);
    expect(download.suggestedFilename()).toMatch(/\.json$/);
    await app.screenshot('export');
  });

  it('tags, notes, filters and deletes the run with a confirmation', async () => {
    await go('/runs');
    await byTestId(app.page, `runs-row-${runId}`).click();
    await byTestId(app.page, 'run-details-tags').fill('e2e, smoke');
    await byTestId(app.page, 'run-details-save-tags').click();
    await byTestId(app.page, 'run-details-note').fill('checked by the browser test');
    await byTestId(app.page, 'run-details-save-note').click();
    await expect
      .poll(async () => byTestId(app.page, `runs-row-${runId}`).textContent())
      .toMatch(/e2e/);
    // The text filter matches tags; a tag nobody has empties the table with a way back.
    await byTestId(app.page, 'runs-filter-text').fill('no-such-tag');
    await byTestId(app.page, 'runs-clear-filters').waitFor();
    await byTestId(app.page, 'runs-clear-filters').click();
    await byTestId(app.page, `runs-row-${runId}`).waitFor();
    await byTestId(app.page, 'runs-filter-text').fill('e2e');
    await byTestId(app.page, `runs-row-${runId}`).waitFor();
    await app.screenshot('runs-details');
    // Delete asks first; cancelling keeps the run.
    await byTestId(app.page, 'run-details-delete').click();
    await byTestId(app.page, 'confirm-cancel').click();
    await expect(byTestId(app.page, `runs-row-${runId}`).count()).resolves.toBe(1);
    await byTestId(app.page, 'run-details-delete').click();
    await byTestId(app.page, 'confirm-ok').click();
    await byTestId(app.page, `runs-row-${runId}`).waitFor({ state: 'detached' });
  });

  it('kept the console free of errors, every request succeeded and none left the app', () => {
    expect(app.problems.pageErrors).toEqual([]);
    expect(app.problems.console).toEqual([]);
    expect(app.problems.failedRequests).toEqual([]);
    // Offline by design: no CDN, font service or telemetry; only the server it came from.
    expect(app.problems.foreignRequests).toEqual([]);
  });
});
