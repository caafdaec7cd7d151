export {
  childName,
  desiredChildren,
  desiredDeployments,
  isAvailable,
  leaseName,
  ownerReference,
  podTemplate,
  selectorLabels,
  sinkGroupId,
  type ChildSettings,
  type ClusterFeatures,
  type NetworkPolicySettings,
  type PodSettings,
  type Role,
} from './children.js';
export {
  FINALIZER,
  hasFinalizer,
  planCleanup,
  stopped,
  summarise,
  type CleanupPlan,
  type HandOver,
  type Kept,
} from './cleanup.js';
export { setCondition, findCondition } from './conditions.js';
export { childConnection, childSettings, loadEnv, type OperatorEnv } from './env.js';
export { KubeCluster, FIELD_MANAGER } from './cluster.js';
export { createApp, type OperatorApp, type OperatorDeps } from './app.js';
export { startOperator, type Operator, type OperatorOptions } from './operator.js';
export { WorkQueue } from './queue.js';
export {
  AVAILABLE,
  CLEANED_UP,
  READY,
  ReconcileError,
  Reconciler,
  type Cluster,
  type Outcome,
  type Schema,
  type StreamEvent,
  type Topics,
} from './reconciler.js';
export { clickHouseSchema } from './schema.js';
export * from './wikistream.js';
