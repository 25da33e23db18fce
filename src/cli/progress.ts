/**
 * @file A training progress bar: `[########------] 40/150  loss 0.481  acc 92.5%  31.2 clips/s`.
 * On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line every tenth
 * of the run, so logs stay short.
 */
export interface ProgressLine {
  readonly step: number;
  readonly total: number;
  readonly loss: number;
  /** Training accuracy over the last few batches, in [0, 1]. */
  readonly accuracy: number;
  readonly clipsPerSecond: number;
}

export class ProgressBar {
  private lastPrinted = -1;
  private readonly interactive: boolean;

  constructor(
    private readonly label: string,
    private readonly write: (text: string) => void,
    private readonly log: (line: string) => void,
    interactive?: boolean,
  ) {
    this.interactive = interactive ?? Boolean(process.stdout.isTTY);
  }

  static render(label: string, p: ProgressLine, width = 24): string {
    const filled = Math.round((width * p.step) / Math.max(1, p.total));
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const steps = `${String(p.step).padStart(String(p.total).length)}/${p.total}`;
    return `${label} [${bar}] ${steps}  loss ${p.loss.toFixed(3)}  acc ${(100 * p.accuracy).toFixed(1).padStart(5)}%  ${p.clipsPerSecond.toFixed(1)} clips/s`;
  }

  update(p: ProgressLine): void {
    const line = ProgressBar.render(this.label, p);
    if (this.interactive) {
      this.write(`\r${line}`);
      if (p.step === p.total) this.write("\n");
      return;
    }
    const tenth = Math.floor((10 * p.step) / Math.max(1, p.total));
    if (tenth !== this.lastPrinted || p.step === p.total) {
      this.lastPrinted = tenth;
      this.log(line);
    }
  }
}
