// The registry of detectors: adding a rule means adding a file and a line here.
import { dynamicImportDetector } from './dynamic-import.js';
import { dynamicRequireDetector } from './dynamic-require.js';
import { evalDetector } from './eval.js';
import { functionConstructorDetector } from './function-constructor.js';
import { moduleInternalsDetector } from './module-internals.js';
import { nativeAddonDetector } from './native-addon.js';
import { requireEscapeDetector } from './require-escape.js';
import type { Detector } from './types.js';
import { withDetector } from './with-statement.js';

export type { Detector, DetectorContext } from './types.js';

export const DETECTORS: readonly Detector[] = [
  evalDetector,
  functionConstructorDetector,
  withDetector,
  dynamicRequireDetector,
  dynamicImportDetector,
  requireEscapeDetector,
  nativeAddonDetector,
  moduleInternalsDetector,
];
