import { request } from 'node:http';
import { existsSync } from 'node:fs';

/**
 * The image testcontainers starts before any other (its reaper, "Ryuk"), as testcontainers 12
 * names it (build/reaper/reaper.js); `RYUK_CONTAINER_IMAGE` replaces it there too.
 */
export const REAPER_IMAGE = 'testcontainers/ryuk:0.14.0';

/** What the tests asked for through `WIKIPULSE_SERVICES`. */
export type RequestedServices = 'containers' | 'local' | undefined;

/** What a Docker engine said about the images the tests would start. */
export type EngineReport =
  { answers: false } | { answers: true; missing: readonly { image: string; why: string }[] };

export interface ServicesChoice {
  /** testcontainers, or the services that run without Docker. */
  containers: boolean;
  /** Why, for the test output. */
  reason: string;
}

/** The Unix socket of the engine DOCKER_HOST names (or Docker's default); undefined for tcp://. */
function engineSocket(): string | undefined {
  const host = process.env['DOCKER_HOST'];
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** GET `path` from the engine's API: its status and body, or undefined when nothing answers. */
function engineGet(
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string } | undefined> {
  const socketPath = engineSocket();
  if (socketPath === undefined || !existsSync(socketPath)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const req = request({ socketPath, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/**
 * True when a Docker engine answers `/_ping` on its Unix socket. A `docker` client binary
 * alone is not enough: testcontainers needs the engine.
 */
export async function dockerEngineAnswers(timeoutMs = 1000): Promise<boolean> {
  return (await engineGet('/_ping', timeoutMs))?.status === 200;
}

/**
 * Why the engine cannot start `image`, or undefined when it can: the image is in its store, or
 * its registry describes it (the engine's `/distribution` look-up reads the manifest and
 * downloads nothing), so a pull would work.
 */
async function whyEngineCannotStart(image: string, timeoutMs: number): Promise<string | undefined> {
  if ((await engineGet(`/images/${image}/json`, timeoutMs))?.status === 200) return undefined;
  const registry = await engineGet(`/distribution/${image}/json`, timeoutMs);
  if (registry?.status === 200) return undefined;
  if (!registry)
    return `not in the engine's store; its registry did not answer within ${timeoutMs} ms`;
  let message = registry.body.trim();
  try {
    message = (JSON.parse(message) as { message?: string }).message ?? message;
  } catch {
    // Not JSON: the body as it is.
  }
  return `not in the engine's store, and its registry: ${message}`;
}

/** Asks the engine, if one answers, whether it can start each of `images`. */
export async function askEngine(
  images: readonly string[],
  timeoutMs = 15_000,
): Promise<EngineReport> {
  if (!(await dockerEngineAnswers())) return { answers: false };
  const missing: { image: string; why: string }[] = [];
  for (const image of images) {
    const why = await whyEngineCannotStart(image, timeoutMs);
    if (why !== undefined) missing.push({ image, why });
  }
  return { answers: true, missing };
}

/** Reads `WIKIPULSE_SERVICES`: `containers`, `local`, or unset for the choice below. */
export function requestedServices(value: string | undefined): RequestedServices {
  if (value === undefined || value === '') return undefined;
  if (value === 'containers' || value === 'local') return value;
  throw new Error(
    `WIKIPULSE_SERVICES must be "containers" or "local", not ${JSON.stringify(value)}`,
  );
}

/**
 * testcontainers only where it can start its images, or when asked for: a machine where a
 * Docker engine runs but images cannot be pulled gets the services that need no Docker.
 */
export function decideServices(requested: RequestedServices, engine: EngineReport): ServicesChoice {
  if (requested === 'containers')
    return { containers: true, reason: 'WIKIPULSE_SERVICES=containers' };
  if (requested === 'local') return { containers: false, reason: 'WIKIPULSE_SERVICES=local' };
  if (!engine.answers) return { containers: false, reason: 'no Docker engine answers' };
  if (engine.missing.length > 0) {
    // One reason (an unreachable registry) usually covers every image: said once.
    const byWhy = new Map<string, string[]>();
    for (const { image, why } of engine.missing) byWhy.set(why, [...(byWhy.get(why) ?? []), image]);
    const what = [...byWhy].map(([why, images]) => `${images.join(', ')} (${why})`);
    return {
      containers: false,
      reason: `a Docker engine answers but cannot start ${what.join('; ')}`,
    };
  }
  return { containers: true, reason: 'a Docker engine answers and can start its images' };
}

/** The choice for services that would run `images` in testcontainers. */
export async function chooseServices(images: readonly string[]): Promise<ServicesChoice> {
  const requested = requestedServices(process.env['WIKIPULSE_SERVICES']);
  if (requested !== undefined) return decideServices(requested, { answers: false });
  const reaper =
    process.env['TESTCONTAINERS_RYUK_DISABLED'] === 'true'
      ? []
      : [process.env['RYUK_CONTAINER_IMAGE'] ?? REAPER_IMAGE];
  return decideServices(undefined, await askEngine([...images, ...reaper]));
}
