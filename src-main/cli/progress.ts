/**
 * Live progress of a run on stderr: a cli-progress bar on a terminal (phase, epoch, step, loss,
 * time left), plain lines otherwise (one per epoch, and at most one every few seconds), so logs
 * of batch jobs stay readable.
 */
import cliProgress from 'cli-progress';
import type { StepProgress } from '../contract/runs';
import { duration } from './format';
import type { Output } from './output';

const PLAIN_EVERY_MS = 5000;

export interface ProgressView {
  update(p: StepProgress): void;
  /** A line that must not be overwritten by the bar (epoch results, warnings). */
  note(text: string): void;
  stop(): void;
}

function position(p: StepProgress): { value: number; total: number } {
  return { value: p.epoch * p.stepsPerEpoch + p.step + 1, total: p.epochs * p.stepsPerEpoch };
}

function describe(p: StepProgress): Record<string, string | number> {
  return {
    phase: p.phase,
    epoch: `${p.epoch + 1}/${p.epochs}`,
    step: `${p.step + 1}/${p.stepsPerEpoch}`,
    loss: Number.isFinite(p.loss) ? p.loss.toFixed(4) : String(p.loss),
    left: duration(p.etaSeconds),
  };
}

class BarView implements ProgressView {
  private readonly bar: cliProgress.SingleBar;
  private phase: string | null = null;

  constructor(private readonly output: Output) {
    this.bar = new cliProgress.SingleBar(
      {
        format: '{phase} |{bar}| epoch {epoch} step {step} | loss {loss} | {left} left',
        stream: output.stderrStream() as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  update(p: StepProgress): void {
    const { value, total } = position(p);
    if (this.phase !== p.phase) {
      if (this.phase !== null) this.bar.stop();
      this.phase = p.phase;
      this.bar.start(total, value, describe(p));
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(value, describe(p));
  }

  note(text: string): void {
    this.stop();
    this.output.note(text);
  }

  stop(): void {
    if (this.phase !== null) this.bar.stop();
    this.phase = null;
  }
}

class PlainView implements ProgressView {
  private last = 0;
  private lastEpoch = -1;

  constructor(private readonly output: Output) {}

  update(p: StepProgress): void {
    const now = Date.now();
    if (now - this.last < PLAIN_EVERY_MS && p.epoch === this.lastEpoch) return;
    this.last = now;
    this.lastEpoch = p.epoch;
    const d = describe(p);
    this.output.note(`${d.phase}: epoch ${d.epoch} step ${d.step} loss ${d.loss} (${d.left} left)`);
  }

  note(text: string): void {
    this.output.note(text);
  }

  stop(): void {}
}

export function progressView(output: Output): ProgressView {
  return output.interactive ? new BarView(output) : new PlainView(output);
}
