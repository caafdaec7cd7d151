import { request } from 'node:http';
import { existsSync } from 'node:fs';

/**
 * True when a Docker engine answers `/_ping` on its Unix socket. A `docker` client binary
 * alone is not enough: testcontainers needs the engine.
 */
export function dockerEngineAnswers(timeoutMs = 1000): Promise<boolean> {
  const host = process.env['DOCKER_HOST'];
  const socketPath = host?.startsWith('unix://')
    ? host.slice('unix://'.length)
    : '/var/run/docker.sock';
  if (host && !host.startsWith('unix://')) return Promise.resolve(false);
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
