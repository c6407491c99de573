// Connects the install warnings to the gate: for each added or updated copy, the checks that need
// its registry document (publish time, deprecation, publishers, typosquats).
import type { WarningCheck } from './review.js';
import { checkPackage, loadPopularList, type Packument } from './warnings.js';

export function installWarnings(packuments: Map<string, Record<string, unknown>>, options: { now: Date; minReleaseAgeMinutes: number }): WarningCheck {
  const popular = loadPopularList();
  return ({ packageName, version, previousVersion }) => {
    const doc = packuments.get(packageName);
    if (!doc) {
      const typosquat = checkPackage({ name: packageName, version, packument: { name: packageName, versions: {} } as unknown as Packument, now: options.now, minReleaseAgeMinutes: 0, popular })
        .filter((w) => w.kind === 'typosquat');
      return typosquat;
    }
    return checkPackage({
      name: packageName,
      version,
      packument: doc as unknown as Packument,
      ...(previousVersion ? { previousVersion } : {}),
      now: options.now,
      minReleaseAgeMinutes: options.minReleaseAgeMinutes,
      popular,
    });
  };
}
