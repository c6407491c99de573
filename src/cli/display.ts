// The one display layer: --json documents go to stdout, human text and progress to stderr,
// colour only on a TTY and never with NO_COLOR.
export interface Display {
  json: boolean;
  /** Human text to stderr (suppressed by --quiet for non-essential lines). */
  info(text: string): void;
  /** Essential human output (summaries, denials, diffs) to stderr. */
  out(text: string): void;
  /** One JSON document to stdout. */
  result(data: unknown): void;
  /** One compact JSON line to stdout, for long-running commands that report events (a server's URL). */
  line(data: unknown): void;
  progress(text: string): void;
  endProgress(): void;
  color: Colors;
}

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

function makeColors(on: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

export function createDisplay(options: { json: boolean; quiet: boolean }, stream: NodeJS.WriteStream = process.stderr): Display {
  const tty = stream.isTTY === true;
  const color = tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  let progressShown = false;
  let lastProgress = 0;
  return {
    json: options.json,
    color: makeColors(color),
    info(text) {
      if (!options.quiet) this.out(text);
    },
    out(text) {
      this.endProgress();
      stream.write(text.endsWith('\n') ? text : text + '\n');
    },
    result(data) {
      process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    },
    line(data) {
      process.stdout.write(JSON.stringify(data) + '\n');
    },
    progress(text) {
      if (!tty || options.quiet) return;
      const now = Date.now();
      if (now - lastProgress < 80) return;
      lastProgress = now;
      stream.write(`\r\x1b[K${text}`);
      progressShown = true;
    },
    endProgress() {
      if (progressShown) stream.write('\r\x1b[K');
      progressShown = false;
    },
  };
}
