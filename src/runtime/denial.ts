// Denials: the error a contained package gets at the call site, the one-line stderr notice written once
// per package and capability (even if the package catches the error), warn mode, and the JSON report.
import { writeFileSync, writeSync } from 'node:fs';

export type ViolationKind =
  | 'builtin' | 'global' | 'env' | 'package' | 'file' | 'app-file' | 'native' | 'tamper' | 'unsupported' | 'integrity'
  | 'net' | 'fs-read' | 'fs-write' | 'fd' | 'unattributed';

export interface Violation {
  package: string;
  kind: ViolationKind;
  /** The capability as the policy spells it: "fs.readFileSync", "process.env.SECRET", "helper". */
  capability: string;
  /** What was attempted, in words, when the capability alone does not say it. */
  detail?: string;
  count: number;
}

const FIELD: Partial<Record<ViolationKind, string>> = { builtin: 'builtins', global: 'globals', env: 'globals', package: 'packages' };

export function describeViolation(v: Omit<Violation, 'count'>): string {
  const who = `packsec: ${JSON.stringify(v.package)}`;
  const field = FIELD[v.kind];
  const where = `packages[${JSON.stringify(v.package)}]`;
  switch (v.kind) {
    case 'builtin':
    case 'global':
      return `${who} may not use ${v.kind} ${JSON.stringify(v.capability)} — to allow, add ${JSON.stringify(v.capability)} to ${where}.${field} in packsec.policy.json`;
    case 'env':
      return `${who} may not ${v.detail ?? `read ${v.capability}`} — to allow, add ${JSON.stringify(v.capability)} to ${where}.globals in packsec.policy.json`;
    case 'package':
      return `${who} may not load package ${JSON.stringify(v.capability)} — to allow, add ${JSON.stringify(v.capability)} to ${where}.packages in packsec.policy.json`;
    case 'native':
      return `${who} may not load native code (${v.detail ?? v.capability}) — to allow, set ${where}.native to true in packsec.policy.json`;
    case 'app-file':
      return `${who} may not load the app's file ${JSON.stringify(v.capability)} — to allow, add ${JSON.stringify(v.capability)} to ${where}.files in packsec.policy.json`;
    case 'file':
      return `${who} may not load ${v.detail ?? v.capability}: a package may load only its own files and the packages its policy lists`;
    case 'tamper':
      return `${who} may not change ${v.detail ?? v.capability}: packages see each other's exports read-only`;
    case 'net':
      // capability: the grant that would allow it ("api.example.com:443", "unix:$tmp/x.sock"); detail: what was tried.
      return `${who} may not ${v.detail ?? `connect to ${v.capability}`} — to allow, add ${JSON.stringify(v.capability)} to ${where}.net in packsec.policy.json`;
    case 'fs-read':
    case 'fs-write': {
      const access = v.kind === 'fs-write' ? 'write' : 'read';
      return `${who} may not ${access} ${v.detail ?? v.capability} — to allow, add ${JSON.stringify(v.capability)} to ${where}.fs.${access} in packsec.policy.json`;
    }
    case 'fd':
      return `${who} may not ${v.detail ?? `use ${v.capability}`}`;
    case 'unattributed':
      return `packsec: ${v.detail ?? v.capability} — call it from code of your own (not as a bound function handed straight to a timer, promise or event), or grant it to those packages in packsec.policy.json`;
    case 'integrity':
      return `${who} failed verification: ${v.detail ?? v.capability} — reinstall it (\`npsm ci\`), or run \`packsec init\` to record the change if it is intended`;
    default:
      return `${who} cannot run contained: ${v.detail ?? v.capability} — to run it uncontained, set ${where}.trust to "full" in packsec.policy.json`;
  }
}

/** Thrown at the call site of a denied capability. */
export class PacksecDenial extends Error {
  override readonly name = 'PacksecDenial';
  readonly code = 'PACKSEC_DENIED';
  constructor(
    message: string,
    readonly packageName: string,
    readonly capability: string,
  ) {
    super(message);
  }
}

export interface MonitorOptions {
  warn: boolean;
  reportFile: string | null;
}

/** Collects violations for the whole process; enforce mode throws, warn mode only records. */
export class Monitor {
  private readonly byKey = new Map<string, Violation>();
  readonly warn: boolean;

  constructor(private readonly options: MonitorOptions) {
    this.warn = options.warn;
    if (options.reportFile) process.once('exit', () => this.writeReport());
  }

  /** Records a violation (stderr once per package and capability). Returns the message. */
  record(v: Omit<Violation, 'count'>): string {
    const key = `${v.package}\0${v.kind}\0${v.capability}`;
    const message = describeViolation(v);
    const seen = this.byKey.get(key);
    if (seen) {
      seen.count++;
      return message;
    }
    this.byKey.set(key, { ...v, count: 1 });
    try {
      writeSync(2, `${this.warn ? message.replace(/^packsec: /, 'packsec (warn): ') : message}\n`);
    } catch {
      // stderr closed: the error thrown at the call site still says it.
    }
    return message;
  }

  /** Records and, unless in warn mode, throws a PacksecDenial at the caller. */
  deny(v: Omit<Violation, 'count'>): void {
    const message = this.record(v);
    if (!this.warn) throw new PacksecDenial(message, v.package, v.capability);
  }

  /** Records and always throws (for things warn mode cannot allow, such as tampered files). */
  refuse(v: Omit<Violation, 'count'>): never {
    const message = this.record(v);
    throw new PacksecDenial(message, v.package, v.capability);
  }

  violations(): Violation[] {
    return [...this.byKey.values()];
  }

  private writeReport(): void {
    if (!this.options.reportFile) return;
    try {
      writeFileSync(this.options.reportFile, JSON.stringify({ mode: this.warn ? 'warn' : 'enforce', violations: this.violations() }, null, 2) + '\n');
    } catch (err) {
      try {
        writeSync(2, `packsec: cannot write the violations report ${this.options.reportFile}: ${(err as Error).message}\n`);
      } catch { /* nothing more to do */ }
    }
  }
}
