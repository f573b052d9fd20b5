/** Whether a Docker engine answers: GET /_ping on DOCKER_HOST (unix socket or tcp), no CLI needed. */
import { existsSync } from 'node:fs';
import { request } from 'node:http';

export interface EngineAddress {
  socketPath?: string;
  host?: string;
  port?: number;
}

export function dockerEngineAddress(env: NodeJS.ProcessEnv = process.env): EngineAddress | undefined {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost?.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  for (const socketPath of ['/var/run/docker.sock', `${env.HOME ?? ''}/.docker/run/docker.sock`]) {
    if (existsSync(socketPath)) return { socketPath };
  }
  return undefined;
}

/** True when a Docker engine answers its ping within `timeoutMs`. */
export function dockerEngineAnswers(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 3000,
): Promise<boolean> {
  const address = dockerEngineAddress(env);
  if (!address) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...address, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
