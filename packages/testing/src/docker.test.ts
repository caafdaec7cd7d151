import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  REAPER_IMAGE,
  chooseServices,
  decideServices,
  requestedServices,
  type EngineReport,
} from './docker.js';

const canStartAll: EngineReport = { answers: true, missing: [] };
const unreachable = "not in the engine's store, and its registry: no such host";
const cannotPull: EngineReport = {
  answers: true,
  missing: [
    { image: 'apache/kafka:4.1.0', why: unreachable },
    { image: 'testcontainers/ryuk:0.14.0', why: unreachable },
    {
      image: 'clickhouse/clickhouse-server:25.8',
      why: "not in the engine's store, and its registry: manifest unknown",
    },
  ],
};

describe('the services tests use', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('are testcontainers only where the engine can start every image', () => {
    expect(decideServices(undefined, canStartAll)).toEqual({
      containers: true,
      reason: 'a Docker engine answers and can start its images',
    });
    expect(decideServices(undefined, { answers: false })).toEqual({
      containers: false,
      reason: 'no Docker engine answers',
    });
    const fallback = decideServices(undefined, cannotPull);
    expect(fallback.containers).toBe(false);
    expect(fallback.reason).toBe(
      `a Docker engine answers but cannot start apache/kafka:4.1.0, testcontainers/ryuk:0.14.0 (${unreachable}); ` +
        "clickhouse/clickhouse-server:25.8 (not in the engine's store, and its registry: manifest unknown)",
    );
  });

  it('follow WIKIPULSE_SERVICES whatever the engine says', () => {
    expect(decideServices('containers', cannotPull)).toEqual({
      containers: true,
      reason: 'WIKIPULSE_SERVICES=containers',
    });
    expect(decideServices('local', canStartAll)).toEqual({
      containers: false,
      reason: 'WIKIPULSE_SERVICES=local',
    });
    expect(requestedServices('')).toBeUndefined();
    expect(() => requestedServices('docker')).toThrow(/"containers" or "local"/);
  });

  it('are the local ones when DOCKER_HOST names a socket nothing listens on', async () => {
    vi.stubEnv('DOCKER_HOST', 'unix:///nonexistent/docker.sock');
    vi.stubEnv('WIKIPULSE_SERVICES', '');
    expect(await chooseServices(['apache/kafka:4.1.0'])).toEqual({
      containers: false,
      reason: 'no Docker engine answers',
    });
  });

  it('ask for the reaper image the installed testcontainers starts', () => {
    const entry = fileURLToPath(import.meta.resolve('testcontainers'));
    const reaper = readFileSync(entry.replace(/index\.js$/, 'reaper/reaper.js'), 'utf8');
    expect(reaper).toContain(`"${REAPER_IMAGE}"`);
  });
});
