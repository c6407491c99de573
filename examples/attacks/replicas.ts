// Every replica of the gallery, in the order of the table.
import type { Replica } from './harness/replica.js';
import { replicas as axios } from './axios/replica.js';
import { replicas as chalkDebug } from './chalk-debug/replica.js';
import { replicas as colorsFaker } from './colors-faker/replica.js';
import { replicas as crossenv } from './crossenv/replica.js';
import { replicas as eslintScope } from './eslint-scope/replica.js';
import { replicas as eventStream } from './event-stream/replica.js';
import { replicas as nodeIpc } from './node-ipc/replica.js';
import { replicas as nx } from './nx/replica.js';
import { replicas as shaiHulud } from './shai-hulud/replica.js';
import { replicas as shaiHulud2 } from './shai-hulud-2/replica.js';
import { replicas as solana } from './solana-web3js/replica.js';
import { replicas as tanstack } from './tanstack/replica.js';
import { replicas as uaParserJs } from './ua-parser-js/replica.js';

export const replicas: Replica[] = [
  ...eslintScope,
  ...crossenv,
  ...eventStream,
  ...uaParserJs,
  ...shaiHulud,
  ...shaiHulud2,
  ...nx,
  ...solana,
  ...axios,
  ...nodeIpc,
  ...colorsFaker,
  ...tanstack,
  ...chalkDebug,
];
