import { connect, createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A TCP path to the API server that a test can cut: afterwards every connection, open or new,
 * stays open and silent, as behind a network partition (requests time out rather than fail
 * fast). TLS passes through untouched; the server's certificate names 127.0.0.1.
 */
export class ApiServerLink {
  readonly #server: Server;
  readonly #target: URL;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  #cut = false;

  private constructor(server: Server, target: URL) {
    this.#server = server;
    this.#target = target;
  }

  /** A link to the API server of `kubeConfig`'s current cluster. */
  static async start(kubeConfig: KubeConfig): Promise<ApiServerLink> {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const server = createServer();
    const link = new ApiServerLink(server, new URL(cluster.server));
    server.on('connection', (client) => link.#accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  get url(): string {
    const address = this.#server.address();
    return `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** The same cluster, credentials and context as `kubeConfig`, through this link. */
  kubeConfig(kubeConfig: KubeConfig): KubeConfig {
    const cluster = kubeConfig.getCurrentCluster()!;
    const through = new KubeConfig();
    through.loadFromOptions({
      clusters: [{ ...cluster, server: this.url }],
      users: kubeConfig.users,
      contexts: kubeConfig.contexts,
      currentContext: kubeConfig.currentContext,
    });
    return through;
  }

  #accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (this.#cut) {
      this.#pairs.add({ client, upstream: undefined });
      return;
    }
    const upstream = connect(Number(this.#target.port), this.#target.hostname);
    this.#pairs.add({ client, upstream });
    upstream.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('close', () => {
      if (!this.#cut) client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  cut(): void {
    this.#cut = true;
    for (const { client, upstream } of this.#pairs) {
      client.unpipe();
      upstream?.unpipe();
      upstream?.destroy();
    }
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
