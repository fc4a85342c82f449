import { axiosProxyConfig } from '../../../../operator/notifications/proxy-config.js';

describe('axiosProxyConfig', () => {
  it('splits a proxy URL into axios’ proxy option, with default ports', () => {
    expect(axiosProxyConfig('http://proxy.corp:3128')).toEqual({ protocol: 'http', host: 'proxy.corp', port: 3128 });
    expect(axiosProxyConfig('http://proxy.corp')).toEqual({ protocol: 'http', host: 'proxy.corp', port: 80 });
    expect(axiosProxyConfig('https://proxy.corp')).toEqual({ protocol: 'https', host: 'proxy.corp', port: 443 });
  });

  it('passes credentials decoded and strips IPv6 brackets', () => {
    expect(axiosProxyConfig('http://us%40er:p%3Ass@[::1]:8080')).toEqual({
      protocol: 'http',
      host: '::1',
      port: 8080,
      auth: { username: 'us@er', password: 'p:ss' },
    });
  });
});
