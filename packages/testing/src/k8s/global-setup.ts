import type { TestProject } from 'vitest/node';
import { startControlPlane } from './control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    k8sAdminKubeconfig: string;
  }
}

/**
 * Starts one control plane for the whole run (etcd, kube-apiserver, controller-manager,
 * scheduler and a kwok node, so Deployments become Available); test files isolate themselves
 * by namespace.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const controlPlane = await startControlPlane({ controllers: true });
  console.log(
    `[services] Kubernetes control plane (etcd, kube-apiserver, controllers, kwok node) at ${controlPlane.server} ready in ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  project.provide('k8sAdminKubeconfig', controlPlane.adminKubeconfig);
  return () => controlPlane.stop();
}
