// Wires the MeshRoute controller into the operator from its command-line options.
import { parseAddressMapping } from '../address-map.js';
import type { OperatorContext } from '../controllers.js';
import { MeshRouteController } from './meshroute-controller.js';
import { CaBundleFile } from './waypoint-ca.js';

export function registerMeshRouteController(context: OperatorContext): void {
  const { options } = context;
  new MeshRouteController({
    manager: context.manager,
    configServer: context.configServer,
    addressMappings: options.endpointAddressMap.map(parseAddressMapping),
    ...(options.waypointImage && options.waypointCaFile ? { caBundle: new CaBundleFile(options.waypointCaFile, context.log, options.filePollIntervalMs) } : {}),
    ...(options.waypointImage
      ? {
          waypoint: {
            image: options.waypointImage,
            replicas: options.waypointReplicas,
            configServerUrl: options.waypointConfigServerUrl,
            ...(options.waypointConfigServerName ? { configServerName: options.waypointConfigServerName } : {}),
            ...(options.waypointCaConfigMap ? { configServerCaConfigMap: options.waypointCaConfigMap } : {}),
          },
        }
      : {}),
  });
}
