// Worker thread entry: parses and analyses files sent by the pool (a large stack survives deep nesting).
import { parentPort } from 'node:worker_threads';
import { analyzeSource, type SourceKind } from './file.js';

interface Task {
  id: number;
  source: string;
  kind: SourceKind;
}

parentPort?.on('message', (task: Task) => {
  const facts = analyzeSource(task.source, { kind: task.kind });
  parentPort?.postMessage({ id: task.id, facts });
});
