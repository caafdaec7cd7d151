/**
 * One stage of `npm run bench:ingest-floor`, in a process of its own so that its CPU and memory
 * are measured alone. Started by `ingest-floor.ts`, it gets its settings over IPC (the Kafka
 * credentials never reach a command line), reports how many events it has handled every
 * 250 ms, and on `stop` finishes what is in flight and answers with its final count.
 *
 * - `read`: the ingestor's stream client (`eventsource`, fed by its own `fetch`) reads the local
 *   EventStreams server and counts each message.
 * - `parse`: the same, and each message's `data` goes through `JSON.parse`.
 * - `produce`: the ingestor's Kafka producer (`@wikipulse/kafka`) writes the messages it was
 *   given (the recorded events as text, with the ingestor's key and header), over and over, in
 *   batches of `batchEvents` with `inFlight` writes outstanding.
 */
import { StreamClient } from '@wikipulse/ingestor/stream';
import { KafkaBus, type OutgoingMessage, type Producer } from '@wikipulse/kafka';

export type Stage = 'read' | 'parse' | 'produce';

export interface StageSettings {
  stage: Stage;
  streamUrl: string;
  topic: string;
  batchEvents: number;
  inFlight: number;
  /** The Kafka bus's settings: brokers, TLS and SASL as the ingestor would use them. */
  kafka: ConstructorParameters<typeof KafkaBus>[0];
  /** For `produce`: what to write. */
  messages: OutgoingMessage[];
}

export type ToStage = { kind: 'start'; settings: StageSettings } | { kind: 'stop' };
export type FromStage = { kind: 'count'; events: number } | { kind: 'done'; events: number };

const send = (message: FromStage) => process.send?.(message);
let events = 0;
let stop: (() => Promise<void>) | undefined;

process.on('message', (message: ToStage) => {
  if (message.kind === 'start') {
    stop = start(message.settings);
    return;
  }
  void (stop?.() ?? Promise.resolve()).then(() => {
    clearInterval(ticker);
    send({ kind: 'done', events });
    process.disconnect();
  });
});
const ticker = setInterval(() => send({ kind: 'count', events }), 250);

/** Starts the stage; the function it returns stops it. */
function start(settings: StageSettings): () => Promise<void> {
  if (settings.stage === 'produce') return produce(settings);
  const parse = settings.stage === 'parse';
  const warn = (fields: Record<string, unknown>, message: string) =>
    process.stderr.write(`[${settings.stage}] ${message} ${JSON.stringify(fields)}\n`);
  const stream = new StreamClient({
    url: settings.streamUrl,
    userAgent: 'wikipulse-bench-floor',
    stallTimeoutMs: 30_000,
    reconnectMinMs: 1_000,
    reconnectMaxMs: 30_000,
    log: { info: () => undefined, warn },
    onMessage: (data) => {
      if (parse) JSON.parse(data);
      events += 1;
    },
  });
  stream.start();
  return () => {
    stream.stop();
    return Promise.resolve();
  };
}

function produce(settings: StageSettings): () => Promise<void> {
  const { messages, batchEvents } = settings;
  let stopping = false;
  let next = 0;
  const batch = (): OutgoingMessage[] => {
    const out: OutgoingMessage[] = [];
    for (let i = 0; i < batchEvents; i += 1) {
      out.push(messages[next]!);
      next = (next + 1) % messages.length;
    }
    return out;
  };
  const writer = async (producer: Producer): Promise<void> => {
    while (!stopping) {
      const some = batch();
      await producer.send(settings.topic, some);
      events += some.length;
    }
  };
  const running = (async () => {
    const producer = await new KafkaBus(settings.kafka).producer();
    await Promise.all(Array.from({ length: settings.inFlight }, () => writer(producer)));
    await producer.close();
  })();
  running.catch((error: unknown) => {
    process.stderr.write(
      `[bench:ingest-floor] produce: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
  return () => {
    stopping = true;
    return running;
  };
}
