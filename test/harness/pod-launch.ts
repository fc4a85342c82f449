// What the pod runner starts for a pod, decided from the pod alone (pure: no I/O). A pod's
// first container names its program either by command (an executable of this package, e.g.
// `sluice-proxy`, as the operator's waypoint Deployment does) or by image (`.../demo-app:TAG`).
// Everything else about the process comes from the pod as a kubelet would take it: args and
// env (literal values and the downward API), volume mounts (paths inside the container are
// rewritten to a directory of the runner), ServiceAccount tokens projected into volumes, the
// readiness probe, and the address: the pod's IP mapped onto loopback, which the program is
// told to bind to since it has no network namespace of its own.
import type { V1Container, V1EnvVar, V1Pod, V1Probe } from '@kubernetes/client-node';

/** Executables of this package (package.json "bin") and the demo app, by the script that runs them. */
export const PROGRAMS = {
  'sluice-proxy': { script: 'dist/proxy/main.js', bindAddressEnv: 'SLUICE_BIND_ADDRESS' },
  'demo-app': { script: 'dist/test/apps/demo-app.js', bindAddressEnv: 'HOST' },
} as const;
export type ProgramName = keyof typeof PROGRAMS;

export interface TokenFile {
  /** Path of the token file on this machine. */
  path: string;
  serviceAccount: string;
  audiences: string[];
  expirationSeconds: number;
}

export interface ObjectFiles {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** Directory the keys are written to. */
  dir: string;
  /** Keys to write and the file names to write them to; absent: every key under its own name. */
  items?: { key: string; path: string }[];
  optional: boolean;
}

export interface Readiness {
  port: number;
  /** HTTP GET path answering 200..399; absent: a TCP connection is enough. */
  path?: string;
}

export interface LaunchPlan {
  program: ProgramName;
  /** Node script, relative to the repository root. */
  script: string;
  args: string[];
  env: Record<string, string>;
  /** Loopback address the pod's process binds to. */
  address: string;
  readiness?: Readiness;
  tokens: TokenFile[];
  objects: ObjectFiles[];
  /** Directories to create (emptyDir volumes, mount points). */
  dirs: string[];
  /** Parts of the pod spec the runner does not reproduce, for its log. */
  ignored: string[];
}

export interface LaunchContext {
  /** Maps the pod's IP onto the loopback address its process listens on. */
  mapAddress: (podIP: string) => string;
  /** The runner's directory for this pod (volumes live below it). */
  podDir: string;
}

/** Kubelet's default lifetime of a projected token. */
const DEFAULT_TOKEN_SECONDS = 3600;

function imageName(image: string | undefined): string {
  const withoutDigest = (image ?? '').split('@')[0] ?? '';
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const name = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  return name.slice(lastSlash + 1);
}

/** The program a container runs, or undefined when the runner has nothing to run for it. */
export function programOf(container: V1Container | undefined): ProgramName | undefined {
  if (!container) return undefined;
  const command = container.command?.[0];
  if (command !== undefined) return command in PROGRAMS ? (command as ProgramName) : undefined;
  return imageName(container.image) === 'demo-app' ? 'demo-app' : undefined;
}

function portNumber(container: V1Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function readinessOf(container: V1Container, probe: V1Probe | undefined): Readiness | undefined {
  if (probe?.httpGet) {
    const port = portNumber(container, probe.httpGet.port);
    if (port !== undefined) return { port, path: probe.httpGet.path ?? '/' };
  }
  if (probe?.tcpSocket) {
    const port = portNumber(container, probe.tcpSocket.port);
    if (port !== undefined) return { port };
  }
  // No probe: a kubelet would call the container ready once started; "started" here means
  // listening on its first port, which is what clients need.
  const first = container.ports?.[0]?.containerPort;
  return first === undefined ? undefined : { port: first };
}

/** Rewrites container paths under a mount point to the runner's directory for that volume. */
function pathRewriter(mounts: { mountPath: string; dir: string }[]): (text: string) => string {
  // Longest mount paths first, so /etc/a/b wins over /etc/a.
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (text) => {
    for (const { mountPath, dir } of sorted) {
      const base = mountPath.replace(/\/+$/, '');
      const pattern = new RegExp(`(^|=)${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|$)`, 'g');
      if (pattern.test(text)) return text.replace(pattern, (_m, lead: string) => `${lead}${dir}`);
    }
    return text;
  };
}

function downwardValue(pod: V1Pod, fieldPath: string, address: string): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name;
    case 'metadata.namespace':
      return pod.metadata?.namespace;
    case 'metadata.uid':
      return pod.metadata?.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      // The address the process can actually use.
      return address;
    case 'status.hostIP':
      return pod.status?.hostIP;
    default: {
      const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
      if (label?.[1]) return pod.metadata?.labels?.[label[1]];
      const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath);
      if (annotation?.[1]) return pod.metadata?.annotations?.[annotation[1]];
      return undefined;
    }
  }
}

function envOf(pod: V1Pod, vars: V1EnvVar[], address: string, rewrite: (text: string) => string, ignored: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    if (v.value !== undefined) {
      // $(VAR) references to earlier variables, as the kubelet expands them.
      env[v.name] = rewrite(v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
    } else if (v.valueFrom?.fieldRef) {
      const value = downwardValue(pod, v.valueFrom.fieldRef.fieldPath, address);
      if (value !== undefined) env[v.name] = value;
      else ignored.push(`env ${v.name}: fieldRef ${v.valueFrom.fieldRef.fieldPath}`);
    } else if (v.valueFrom) {
      ignored.push(`env ${v.name}: ${Object.keys(v.valueFrom).join(', ')}`);
    } else {
      env[v.name] = '';
    }
  }
  return env;
}

/** The process to run for `pod`, or undefined when its first container is no program the runner knows. */
export function launchPlan(pod: V1Pod, context: LaunchContext): LaunchPlan | undefined {
  const container = pod.spec?.containers[0];
  const program = programOf(container);
  const podIP = pod.status?.podIP;
  if (!container || !program || !podIP) return undefined;
  const address = context.mapAddress(podIP);
  const ignored: string[] = [];
  if ((pod.spec?.containers.length ?? 0) > 1) ignored.push(`containers after the first (${pod.spec?.containers.slice(1).map((c) => c.name).join(', ')})`);
  if (pod.spec?.initContainers?.length) ignored.push('init containers');

  const tokens: TokenFile[] = [];
  const objects: ObjectFiles[] = [];
  const dirs: string[] = [];
  const mounts: { mountPath: string; dir: string }[] = [];
  const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    const dir = `${context.podDir}/volumes/${mount.name}${mount.subPath ? `/${mount.subPath}` : ''}`;
    mounts.push({ mountPath: mount.mountPath, dir });
    dirs.push(dir);
    if (!volume) {
      ignored.push(`volumeMount ${mount.name}: no such volume`);
      continue;
    }
    const volumeDir = `${context.podDir}/volumes/${mount.name}`;
    if (volume.projected) {
      for (const source of volume.projected.sources ?? []) {
        if (source.serviceAccountToken) {
          tokens.push({
            path: `${volumeDir}/${source.serviceAccountToken.path}`,
            serviceAccount,
            audiences: source.serviceAccountToken.audience ? [source.serviceAccountToken.audience] : [],
            expirationSeconds: source.serviceAccountToken.expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
          });
        } else if (source.configMap) {
          objects.push({ kind: 'ConfigMap', name: source.configMap.name ?? '', dir: volumeDir, items: source.configMap.items, optional: source.configMap.optional ?? false });
        } else if (source.secret) {
          objects.push({ kind: 'Secret', name: source.secret.name ?? '', dir: volumeDir, items: source.secret.items, optional: source.secret.optional ?? false });
        } else {
          ignored.push(`volume ${volume.name}: projected ${Object.keys(source).join(', ')}`);
        }
      }
    } else if (volume.configMap) {
      objects.push({ kind: 'ConfigMap', name: volume.configMap.name ?? '', dir: volumeDir, items: volume.configMap.items, optional: volume.configMap.optional ?? false });
    } else if (volume.secret) {
      objects.push({ kind: 'Secret', name: volume.secret.secretName ?? '', dir: volumeDir, items: volume.secret.items, optional: volume.secret.optional ?? false });
    } else if (!volume.emptyDir) {
      ignored.push(`volume ${volume.name}: ${Object.keys(volume).filter((k) => k !== 'name').join(', ')}`);
    }
  }
  const rewrite = pathRewriter(mounts);
  const env = envOf(pod, container.env ?? [], address, rewrite, ignored);
  if (container.envFrom?.length) ignored.push('envFrom');
  // The demo app reads its port from PORT, which a real image would bake in as its own default.
  if (program === 'demo-app' && env.PORT === undefined) {
    const port = container.ports?.[0]?.containerPort;
    if (port !== undefined) env.PORT = String(port);
  }
  env[PROGRAMS[program].bindAddressEnv] = address;
  const expand = (arg: string): string => rewrite(arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
  // The image's entrypoint is the program itself: command[0]; the rest of command and args follow.
  const args = [...(container.command?.slice(1) ?? []), ...(container.args ?? [])].map(expand);
  const readiness = readinessOf(container, container.readinessProbe) ?? (env.PORT ? { port: Number(env.PORT) } : undefined);
  return { program, script: PROGRAMS[program].script, args, env, address, readiness, tokens, objects, dirs, ignored };
}
