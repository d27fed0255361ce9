import { webhookHostRefusal } from './webhook-hosts';

/** The host a URL names, as the controller and the dispatcher see it. */
const hostOf = (url: string) => new URL(url).hostname;

describe('webhookHostRefusal', () => {
  it('refuses link-local and unspecified addresses whatever the allow-list', () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0/hook',
      'https://[fe80::1]/hook',
      'https://[::]/hook',
      'https://[::ffff:169.254.169.254]/hook',
    ]) {
      expect([url, webhookHostRefusal(hostOf(url), null)]).toEqual([
        url,
        'must not point at a link-local or unspecified address',
      ]);
      expect(webhookHostRefusal(hostOf(url), [hostOf(url)])).not.toBeNull();
    }
  });

  it('takes any other host when no allow-list is set', () => {
    for (const url of ['https://his.example.org/h', 'http://127.0.0.1:8080/h', 'https://10.2.3.4/h'])
      expect(webhookHostRefusal(hostOf(url), null)).toBeNull();
  });

  it('with an allow-list, takes the hosts it lists and the subdomains of its wildcards only', () => {
    const allowed = ['his.hospital.example', '*.alliance.example', '10.2.3.4'];
    expect(webhookHostRefusal(hostOf('https://HIS.hospital.example/h'), allowed)).toBeNull();
    expect(webhookHostRefusal(hostOf('https://a.b.alliance.example/h'), allowed)).toBeNull();
    expect(webhookHostRefusal(hostOf('https://10.2.3.4:8443/h'), allowed)).toBeNull();
    for (const url of [
      'https://alliance.example/h',
      'https://evilalliance.example/h',
      'https://his.hospital.example.evil.test/h',
      'https://10.2.3.5/h',
      'http://127.0.0.1/h',
    ]) {
      expect([url, webhookHostRefusal(hostOf(url), allowed)]).toEqual([
        url,
        'must be on a host WEBHOOK_ALLOWED_HOSTS lists',
      ]);
    }
  });
});
