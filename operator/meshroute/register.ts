// Wires the MeshRoute controller into the operator from its command-line options.
import { parseAddressMapping } from '../address-map.js';
import type { OperatorContext } from '../controllers.js';
import { MeshRouteController } from './meshroute-controller.js';
import { waypointSettingsFromOptions } from './waypoint.js';
import { CaBundleFile } from './waypoint-ca.js';

export function registerMeshRouteController(context: OperatorContext): void {
  const { options } = context;
  const waypoint = waypointSettingsFromOptions(options);
  new MeshRouteController({
    manager: context.manager,
    configServer: context.configServer,
    addressMappings: options.endpointAddressMap.map(parseAddressMapping),
    ...(waypoint && options.waypointCaFile ? { caBundle: new CaBundleFile(options.waypointCaFile, context.log, options.filePollIntervalMs) } : {}),
    ...(waypoint ? { waypoint } : {}),
  });
}
