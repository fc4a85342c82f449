import { checkPullSecretNames, parseNodeSelector, parseTolerations, parseWaypointResources, WaypointSettingError } from '../../../../operator/meshroute/waypoint-pod-settings.js';

describe('waypoint pod settings from flags', () => {
  it('parses resources, with numbers as quantities', () => {
    expect(parseWaypointResources('{"requests":{"cpu":"100m","memory":"64Mi","nvidia.com/gpu":1},"limits":{"cpu":0.5,"memory":"1e9"}}')).toEqual({
      requests: { cpu: '100m', memory: '64Mi', 'nvidia.com/gpu': '1' },
      limits: { cpu: '0.5', memory: '1e9' },
    });
    expect(parseWaypointResources('{}')).toEqual({});
  });

  it('parses node selectors and tolerations, dropping empty optional fields', () => {
    expect(parseNodeSelector('{"kubernetes.io/os":"linux","pool":""}')).toEqual({ 'kubernetes.io/os': 'linux', pool: '' });
    expect(parseTolerations('[{"operator":"Exists"},{"key":"dedicated","operator":"Equal","value":"mesh","effect":""},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}]')).toEqual([
      { operator: 'Exists' },
      { key: 'dedicated', operator: 'Equal', value: 'mesh' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    ]);
    expect(parseTolerations('[]')).toEqual([]);
    expect(checkPullSecretNames(['regcred', 'ghcr.io-pull'])).toEqual(['regcred', 'ghcr.io-pull']);
  });

  it.each([
    [() => parseWaypointResources('{"requests":{"cpu":"100 m"}}'), '--waypoint-resources.requests.cpu: "100 m" is not a quantity'],
    [() => parseWaypointResources('{"request":{"cpu":"1"}}'), '--waypoint-resources.request: unknown field (expected requests, limits)'],
    [() => parseWaypointResources('{"limits":["1"]}'), '--waypoint-resources.limits: must be an object of resource name to quantity'],
    [() => parseWaypointResources('{"limits":{"memory":"-1Gi"}}'), '--waypoint-resources.limits.memory: "-1Gi" is not a quantity'],
    [() => parseWaypointResources('{requests: {}}'), '--waypoint-resources: not JSON'],
    [() => parseWaypointResources('[]'), '--waypoint-resources: must be an object with requests and/or limits'],
    [() => parseNodeSelector('{"pool":3}'), '--waypoint-node-selector.pool: 3 is not a label value'],
    [() => parseNodeSelector('{"bad key!":"x"}'), '--waypoint-node-selector.bad key!: is not a label key'],
    [() => parseNodeSelector('["linux"]'), '--waypoint-node-selector: must be an object of node label to value'],
    [() => parseTolerations('{"key":"a"}'), '--waypoint-tolerations: must be a list of tolerations'],
    [() => parseTolerations('[{"key":"a","operator":"In"}]'), '--waypoint-tolerations[0].operator: must be Exists or Equal, got "In"'],
    [() => parseTolerations('[{"key":"a","operator":"Exists","value":"x"}]'), '--waypoint-tolerations[0].value: must be empty with operator Exists'],
    [() => parseTolerations('[{"operator":"Equal","value":"x"}]'), '--waypoint-tolerations[0].operator: must be Exists when the key is empty'],
    [() => parseTolerations('[{"key":"a","effect":"NoRun"}]'), '--waypoint-tolerations[0].effect: must be NoSchedule, PreferNoSchedule or NoExecute, got "NoRun"'],
    [() => parseTolerations('[{"key":"a","effect":"NoSchedule","tolerationSeconds":30}]'), '--waypoint-tolerations[0].tolerationSeconds: applies only with effect NoExecute'],
    [() => parseTolerations('[{"key":"a","effect":"NoExecute","tolerationSeconds":1.5}]'), '--waypoint-tolerations[0].tolerationSeconds: must be a whole number'],
    [() => parseTolerations('[{"key":"a","operater":"Exists"}]'), '--waypoint-tolerations[0].operater: unknown field'],
    [() => checkPullSecretNames(['Reg_Cred']), '--waypoint-image-pull-secrets: "Reg_Cred" is not a Secret name'],
  ])('%#: refuses with the field named: %s', (parse, message) => {
    expect(parse).toThrow(WaypointSettingError);
    expect(parse).toThrow(message);
  });
});
