import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../paths.js';
import { freePorts } from '../ports.js';

const run = promisify(execFile);
const script = join(repoRoot, 'tools/k8s/control-plane.sh');

export interface ControlPlane {
  /** The state folder: certificates, logs, the etcd data. */
  dir: string;
  server: string;
  /** An admin (system:masters) kubeconfig as YAML; file paths inside point into `dir`. */
  adminKubeconfig: string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Also start kube-controller-manager and kube-scheduler (Deployments get ReplicaSets and Pods). */
  controllers?: boolean;
}

/**
 * Starts etcd and kube-apiserver on loopback ports nobody else uses, through
 * `tools/k8s/control-plane.sh` (which `tools/k8s/install.sh` provides binaries for).
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'wikipulse-k8s-'));
  const [etcd, peer, api] = await freePorts(3);
  const stop = async () => {
    await run('bash', [script, 'stop', dir]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run('bash', [script, 'start', dir, ...(options.controllers ? ['--controllers'] : [])], {
      env: {
        ...process.env,
        ETCD_PORT: String(etcd),
        ETCD_PEER_PORT: String(peer),
        APISERVER_PORT: String(api),
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    server: `https://127.0.0.1:${api}`,
    adminKubeconfig: await readFile(join(dir, 'admin.kubeconfig'), 'utf8'),
    stop,
  };
}
