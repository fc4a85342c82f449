// Wires the canary controller into the operator: live counters from the config server feed
// the builtin metric provider, MetricTemplates get their providers (credentials from their
// Secrets), webhooks and notifications get their runners.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { BuiltinProvider, credentialsFromSecret, LiveWindowStore, providerForTemplate } from '../../analysis/index.js';
import type { AlertProvider } from '../../crds/alert-provider.js';
import { API_VERSION } from '../../crds/group.js';
import type { OperatorContext } from '../controllers.js';
import { KubeWriter } from '../kube-writer.js';
import { CanaryNotifier, createProviderResolver, decodeSecretData, NotificationDispatcher } from '../notifications/index.js';
import { resourceType, Resources } from '../runtime/resource-type.js';
import { CanaryController } from './canary-controller.js';
import { CanaryMetrics } from './canary-metrics.js';
import { WebhookRunner } from './webhooks.js';

export function registerCanaryController(context: OperatorContext): void {
  const { manager, configServer, log, registry, options } = context;
  const store = new LiveWindowStore();
  configServer.stats.subscribe((stats) => store.ingest(stats.namespace, stats.report, stats.receivedAt));
  const builtin = new BuiltinProvider({ store });
  const secrets = manager.informer(Resources.Secret);
  const providers = manager.informer(resourceType<KubernetesObject>({ apiVersion: API_VERSION, kind: 'AlertProvider', plural: 'alertproviders', namespaced: true }));
  const secretData = (namespace: string, name: string): Record<string, string> | undefined => {
    const secret = secrets.get(namespace, name) as V1Secret | undefined;
    return secret ? decodeSecretData(secret) : undefined;
  };
  const dispatcher = new NotificationDispatcher({
    resolver: createProviderResolver({
      getAlertProvider: (ref) => providers.get(ref.namespace, ref.name) as unknown as AlertProvider | undefined,
      getSecret: (namespace, name) => secrets.get(namespace, name) as V1Secret | undefined,
    }),
    log,
    registry,
  });
  manager.addLeaderHooks({
    onStoppedLeading: async () => {
      await dispatcher.flush(5_000);
    },
  });
  new CanaryController({
    manager,
    writer: new KubeWriter(manager.kubeConfig, 'sluice-canary'),
    builtinProvider: builtin,
    providerFor: (template) => {
      const ref = template.spec.provider.secretRef;
      const data = ref ? secretData(template.metadata.namespace ?? '', ref.name) : undefined;
      return providerForTemplate(template, data ? credentialsFromSecret(data) : undefined, {
        builtin,
        ...(options.prometheusAddress ? { prometheusAddress: options.prometheusAddress } : {}),
      });
    },
    webhooks: new WebhookRunner({ logger: log, registry }),
    notifier: new CanaryNotifier({ sink: dispatcher }),
    metrics: new CanaryMetrics(registry),
  });
}
