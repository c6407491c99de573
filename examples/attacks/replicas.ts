// Every replica of the gallery, in the order of the table.
import type { Replica } from './harness/replica.js';
import { replicas as eslintScope } from './eslint-scope/replica.js';

export const replicas: Replica[] = [
  ...eslintScope,
];
