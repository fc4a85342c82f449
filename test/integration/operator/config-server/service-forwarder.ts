// What kube-proxy does for one Service port, for processes that stand in for pods on loopback:
// every new connection goes to one ready endpoint of the Service's EndpointSlices as the API
// server has them at that moment (maintained by the real kube-controller-manager from the
// pods' labels and readiness), its pod address mapped onto loopback. No endpoint: the
// connection is reset, as a Service without endpoints rejects it.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import { loopbackAddressOf } from '../../../harness/pod-apps.js';

export interface ForwardedConnection {
  at: number;
  /** Pod the connection went to; undefined when the Service had no ready endpoint. */
  pod: string | undefined;
}

export class ServiceForwarder {
  readonly connections: ForwardedConnection[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly discovery: k8s.DiscoveryV1Api,
    private readonly namespace: string,
    private readonly service: string,
    private readonly portName: string,
  ) {
    this.server = createServer((client) => void this.forward(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private async forward(client: Socket): Promise<void> {
    this.track(client);
    client.pause();
    let target: { pod: string | undefined; address: string; port: number } | undefined;
    try {
      const slices = await this.discovery.listNamespacedEndpointSlice({ namespace: this.namespace, labelSelector: `kubernetes.io/service-name=${this.service}` });
      const candidates = slices.items.flatMap((slice) => {
        const port = slice.ports?.find((p) => p.name === this.portName)?.port;
        if (port === undefined || port === null) return [];
        return slice.endpoints
          .filter((e) => e.conditions?.ready !== false && e.addresses[0])
          .map((e) => ({ pod: e.targetRef?.name, address: loopbackAddressOf(e.addresses[0] ?? ''), port }));
      });
      target = candidates[Math.floor(Math.random() * candidates.length)];
    } catch {
      target = undefined;
    }
    this.connections.push({ at: Date.now(), pod: target?.pod });
    if (!target) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: target.address, port: target.port });
    this.track(upstream);
    upstream.on('error', () => client.resetAndDestroy());
    client.on('error', () => upstream.destroy());
    upstream.on('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  }
}
