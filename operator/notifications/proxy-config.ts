// The AlertProvider's `proxy` URL as axios' proxy option. axios tunnels https targets through
// the proxy with CONNECT (end-to-end TLS) and sends plain-http targets in absolute form.
import type { AxiosProxyConfig } from 'axios';

export function axiosProxyConfig(proxyUrl: string): AxiosProxyConfig {
  const url = new URL(proxyUrl);
  const protocol = url.protocol.replace(/:$/, '');
  const config: AxiosProxyConfig = {
    protocol,
    // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : protocol === 'https' ? 443 : 80,
  };
  if (url.username || url.password) {
    config.auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  return config;
}
