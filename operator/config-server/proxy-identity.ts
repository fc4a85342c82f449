// Who a proxy is, from the username the API server's TokenReview returned, and which
// namespace's configuration it may read: only its own ServiceAccount's.

export interface ProxyIdentity {
  namespace: string;
  serviceAccount: string;
  username: string;
}

const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** "system:serviceaccount:<namespace>:<name>" → its parts; anything else (users, nodes) → undefined. */
export function serviceAccountOf(username: string): ProxyIdentity | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, serviceAccount, ...rest] = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (!namespace || !serviceAccount || rest.length > 0) return undefined;
  return { namespace, serviceAccount, username };
}

export type AccessDecision = { ok: true; namespace: string } | { ok: false; reason: string };

/**
 * A proxy reads the namespace of its ServiceAccount (the default when it names none) and no
 * other. `allowedServiceAccounts`, when given, restricts which ServiceAccounts of the namespace
 * may read it (e.g. only the waypoint's).
 */
export function decideAccess(identity: ProxyIdentity, requestedNamespace: string | undefined, allowedServiceAccounts?: readonly string[]): AccessDecision {
  const namespace = requestedNamespace || identity.namespace;
  if (namespace !== identity.namespace) {
    return { ok: false, reason: `ServiceAccount ${identity.namespace}/${identity.serviceAccount} may not read the configuration of namespace ${namespace}` };
  }
  if (allowedServiceAccounts && allowedServiceAccounts.length > 0 && !allowedServiceAccounts.includes(identity.serviceAccount)) {
    return { ok: false, reason: `ServiceAccount ${identity.namespace}/${identity.serviceAccount} is not allowed to read proxy configuration` };
  }
  return { ok: true, namespace };
}
