/**
 * A live progress line on stderr: redrawn in place on a terminal, printed every few
 * seconds otherwise (CI logs), so a long run always shows that it is alive.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
  ) {}

  /** Show `done` of `total` and a free-form status. */
  update(done: number, status = ''): void {
    const t = performance.now();
    if (t - this.lastDraw < (this.tty ? 100 : 5000)) return;
    this.lastDraw = t;
    this.draw(done, status, false);
  }

  /** Draw the final state and end the line. */
  finish(done: number, status = ''): void {
    this.draw(done, status, true);
  }

  private draw(done: number, status: string, final: boolean): void {
    const secs = (performance.now() - this.started) / 1000;
    const width = 28;
    let bar = '';
    if (this.total) {
      const f = Math.min(1, done / this.total);
      const full = Math.round(f * width);
      bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${this.total} `;
    } else bar = `${done} `;
    const text = `${this.label} ${bar}${status} ${secs.toFixed(1)}s`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  }
}
