// Connects the install warnings to the gate: for each added or updated copy, the checks that need
// its registry document (publish time, deprecation, publishers, typosquats).
import type { InstallWarning, WarningCheck } from './review.js';

export function installWarnings(packuments: Map<string, Record<string, unknown>>, options: { now: Date; minReleaseAgeMinutes: number }): WarningCheck {
  return ({ packageName, version }) => {
    const out: InstallWarning[] = [];
    const doc = packuments.get(packageName);
    const time = (doc?.time as Record<string, unknown> | undefined)?.[version];
    if (options.minReleaseAgeMinutes > 0 && typeof time === 'string') {
      const age = (options.now.getTime() - Date.parse(time)) / 60_000;
      if (age < options.minReleaseAgeMinutes) {
        out.push({ kind: 'fresh', package: packageName, version, severity: 'block', message: `${packageName}@${version} was published ${Math.max(0, Math.round(age))} minutes ago (minimum release age: ${options.minReleaseAgeMinutes} minutes)` });
      }
    }
    return out;
  };
}
