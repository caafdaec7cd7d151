import { afterEach, describe, expect, it } from 'vitest';
import { Classifier } from './classifier.js';

const open: Classifier[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('Classifier', () => {
  it('reports a worker that dies as a failure, and does not wait for its verdicts', async () => {
    const script =
      "import { parentPort } from 'node:worker_threads';" +
      "parentPort.on('message', () => { throw new Error('worker broke'); });";
    const errors: unknown[] = [];
    const applied: string[] = [];
    const classifier = new Classifier({
      rules: { wikis: [], langs: [], maxEventBytes: 1_000_000 },
      worker: new URL(`data:text/javascript,${encodeURIComponent(script)}`),
      handler: {
        accept: (_value, metaId) => applied.push(metaId),
        drop: (reason) => applied.push(reason),
        dead: (_value, reason) => applied.push(reason),
        passed: (position) => applied.push(position),
      },
      onError: (error) => errors.push(error),
    });
    open.push(classifier);
    classifier.submit('{}', 'p0');
    await classifier.idle();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/worker broke/);
    expect(applied).toEqual([]);
  });
});
