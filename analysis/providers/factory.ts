// Chooses the provider a MetricTemplate asks for. The operator resolves the template's
// secretRef (it owns Kubernetes access) and passes the credentials in.

import type { MetricTemplate } from '../../crds/index.js';
import type { MetricProvider } from './provider.js';
import { PrometheusProvider, type PrometheusCredentials } from './prometheus.js';

export interface ProviderDefaults {
  /** The live-counter provider, shared by every builtin template. */
  builtin: MetricProvider;
  /** The operator's Prometheus, for templates of type prometheus that give no address. */
  prometheusAddress?: string;
}

export function providerForTemplate(template: MetricTemplate, credentials: PrometheusCredentials | undefined, defaults: ProviderDefaults): MetricProvider {
  const spec = template.spec.provider;
  if (spec.type === 'builtin') return defaults.builtin;
  const address = spec.address ?? defaults.prometheusAddress;
  if (!address) {
    const where = `${template.metadata.namespace ?? ''}/${template.metadata.name}`;
    throw new Error(`MetricTemplate ${where} sets no provider.address and the operator has no default Prometheus`);
  }
  return new PrometheusProvider({
    address,
    credentials,
    insecureSkipVerify: spec.insecureSkipVerify,
    timeoutMs: spec.timeout !== undefined ? spec.timeout * 1000 : undefined,
  });
}
