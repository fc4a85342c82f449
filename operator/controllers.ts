// Every controller of the operator, registered in one place. A registration receives the
// operator's shared parts (informers through the manager, the config server, the Event
// recorder) and adds its controller with manager.addController(); adding a controller to the
// operator is one line in the list below.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ConfigServer } from './config-server/config-server.js';
import { registerCanaryController } from './canary/register.js';
import { registerMeshRouteController } from './meshroute/register.js';
import type { Manager } from './runtime/manager.js';
import type { OperatorOptions } from './runtime/operator-options.js';

export interface OperatorContext {
  manager: Manager;
  configServer: ConfigServer;
  kubeConfig: KubeConfig;
  registry: Registry;
  log: Logger;
  options: OperatorOptions;
}

export type ControllerRegistration = (context: OperatorContext) => void;

export const controllers: ControllerRegistration[] = [registerMeshRouteController, registerCanaryController];
