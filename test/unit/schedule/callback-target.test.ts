// The callback target rule (src/schedule/callback-target.ts) in every spelling we know of, at both points where
// it is applied: admission (validateSpec and the webhook, no DNS) and delivery (resolveTarget, DNS injected).
import { describe, expect, it } from 'vitest';
import { addressRefusal, checkCallbackUrl, resolveTarget, type Lookup } from '../../../src/schedule/callback-target.js';
import { validateSpec } from '../../../src/schedule/validate.js';
import { admit, type AdmissionReview } from '../../../src/webhook/admit.js';

const FLAG = '--allow-private-callback-targets';

// [url as written, what the refusal must say]: every one points at loopback, link-local, unspecified or metadata.
const refused: Array<[string, RegExp]> = [
  // IPv4, every textual form (WHATWG URL normalises them to dotted decimal first)
  ['http://127.0.0.1:8080/hook', /host 127\.0\.0\.1 is loopback/],
  ['http://2130706433/', /host 127\.0\.0\.1 is loopback/], // decimal integer
  ['http://0x7f000001/', /host 127\.0\.0\.1 is loopback/], // hex integer
  ['http://0x7F.0.0.1/', /host 127\.0\.0\.1 is loopback/], // upper-case hex octet
  ['http://0177.0.0.1/', /host 127\.0\.0\.1 is loopback/], // octal
  ['http://0177.0.0.01/', /host 127\.0\.0\.1 is loopback/], // octal, zero-padded
  ['http://127.000.000.001/', /host 127\.0\.0\.1 is loopback/], // zero-padded
  ['http://127.1/', /host 127\.0\.0\.1 is loopback/], // short form a.b
  ['http://127.0.1/', /host 127\.0\.0\.1 is loopback/], // short form a.b.c
  ['http://0x7f.1/', /host 127\.0\.0\.1 is loopback/], // hex short form
  ['http://127.0.0.1./', /host 127\.0\.0\.1 is loopback/], // trailing dot
  ['http://127\u30020\u30020\u30021/', /host 127\.0\.0\.1 is loopback/], // ideographic full stops (IDNA maps them to dots)
  ['http://%31%32%37.0.0.1/', /host 127\.0\.0\.1 is loopback/], // percent-encoded host
  ['http://127.255.255.254/', /is loopback/], // all of 127/8
  ['http://0/', /host 0\.0\.0\.0 is unspecified/],
  ['http://0.0.0.0:9000/', /is unspecified/],
  ['http://169.254.169.254/latest/meta-data/', /is a cloud metadata address/],
  ['http://2852039166/latest/meta-data/', /169\.254\.169\.254 is a cloud metadata address/], // decimal metadata
  ['http://0xa9.0xfe.0xa9.0xfe/', /169\.254\.169\.254 is a cloud metadata address/], // hex metadata
  ['http://0251.0376.0251.0376/', /169\.254\.169\.254 is a cloud metadata address/], // octal metadata
  ['http://169.254.170.2/v2/credentials', /is a cloud metadata address/], // ECS task metadata
  ['http://100.100.100.200/latest/meta-data/', /is a cloud metadata address/], // Alibaba
  ['http://168.63.129.16/machine', /is a cloud metadata address/], // Azure wireserver
  ['http://169.254.1.1/', /is link-local/],
  // IPv6
  ['http://[::1]/', /host ::1 is loopback/],
  ['http://[0:0:0:0:0:0:0:1]/', /host ::1 is loopback/],
  ['http://[0000:0000:0000:0000:0000:0000:0000:0001]:80/', /host ::1 is loopback/], // zero-padded
  ['http://[::]/', /is unspecified/],
  ['http://[fe80::1]/', /is link-local/],
  ['http://[FE80::A:B]/', /is link-local/], // upper-case hex
  ['http://[fd00:ec2::254]/latest/meta-data/', /is a cloud metadata address/], // AWS IMDS over IPv6
  ['http://[FD00:EC2:0:0:0:0:0:254]/', /is a cloud metadata address/],
  ['http://[fd20:ce::254]/', /is a cloud metadata address/], // GCE over IPv6
  // IPv6 carrying an IPv4 address
  ['http://[::ffff:127.0.0.1]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\), which is loopback/], // mapped, dotted
  ['http://[::ffff:7f00:1]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\)/], // mapped, hex (what WHATWG URL makes of the dotted form)
  ['http://[::FFFF:7F00:0001]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\)/], // upper case, zero-padded
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', /embeds 127\.0\.0\.1 \(IPv4-mapped\)/],
  ['http://[::ffff:169.254.169.254]/', /embeds 169\.254\.169\.254 \(IPv4-mapped\), which is a cloud metadata address/],
  ['http://[::ffff:a9fe:a9fe]/', /embeds 169\.254\.169\.254 \(IPv4-mapped\)/],
  ['http://[::ffff:0.0.0.0]/', /embeds 0\.0\.0\.0 \(IPv4-mapped\), which is unspecified/],
  ['http://[::127.0.0.1]/', /embeds 127\.0\.0\.1 \(IPv4-compatible\)/], // IPv4-compatible (deprecated)
  ['http://[::a9fe:a9fe]/', /embeds 169\.254\.169\.254 \(IPv4-compatible\)/],
  ['http://[::ffff:0:127.0.0.1]/', /embeds 127\.0\.0\.1 \(IPv4-translated\)/],
  ['http://[64:ff9b::127.0.0.1]/', /embeds 127\.0\.0\.1 \(NAT64 64:ff9b::\/96\)/],
  ['http://[64:ff9b::a9fe:a9fe]/', /embeds 169\.254\.169\.254 \(NAT64/],
  ['http://[64:ff9b:1::7f00:1]/', /embeds 127\.0\.0\.1 \(NAT64 64:ff9b:1::\/48, \/96 layout\)/], // local-use NAT64
  ['http://[2002:7f00:1::]/', /embeds 127\.0\.0\.1 \(6to4\)/],
  ['http://[2002:a9fe:a9fe:1::1]/', /embeds 169\.254\.169\.254 \(6to4\)/],
  ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', /embeds 127\.0\.0\.1 \(Teredo client\)/], // client XOR ffff:ffff
  ['http://[2001:0:4136:e378:8000:63bf:5601:5601]/', /embeds 169\.254\.169\.254 \(Teredo client\)/],
  // names that mean loopback or metadata, refused without DNS
  ['http://localhost/', /host localhost is a loopback name/],
  ['http://LOCALHOST:8080/', /host localhost is a loopback name/],
  ['http://localhost./', /host localhost\. is a loopback name/], // trailing dot
  ['http://localhost../', /is a loopback name/],
  ['http://api.localhost/', /is a loopback name/],
  ['http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/', /host localhost is a loopback name/], // full-width letters (IDNA)
  ['http://metadata.google.internal/computeMetadata/v1/', /is a cloud metadata service/],
  ['http://Metadata.Google.Internal./', /is a cloud metadata service/],
  ['http://metadata/', /is a cloud metadata service/],
  ['http://instance-data.ec2.internal/latest/', /is a cloud metadata service/],
];

// Targets that are allowed with or without the flag (admission does no DNS: names pass until delivery).
const allowed = [
  'https://93.184.216.34/hook',
  'https://[2606:2800::1]/hook',
  'https://[2606:2800:0220:0001:0248:1893:25c8:1946]/',
  'https://hooks.example.com/runs',
  'http://receiver.team-a.svc.cluster.local:8080/', // in-cluster Service
  'http://10.0.0.7:8080/', // private ranges are allowed
  'http://172.16.0.1/',
  'http://192.168.1.10/',
  'http://100.64.0.1/', // carrier-grade NAT, apart from Alibaba's metadata address
  'http://[fd12:3456::1]/', // unique-local, apart from the metadata addresses
  'https://[::ffff:93.184.216.34]/', // mapped public
  'https://[2002:5db8:d822::1]/', // 6to4 of a public address
  'https://[64:ff9b::5db8:d822]/', // NAT64 of a public address
  'https://[64:ff9b:1::5db8:d822]/', // local-use NAT64 of a public address
  'https://localhost.example.com/', // only *.localhost itself is a loopback name
];

describe('callback targets at admission (no DNS)', () => {
  it('has a table of at least 40 refused spellings', () => {
    expect(refused.length).toBeGreaterThanOrEqual(40);
  });

  it.each(refused)('refuses %s and says why, naming the flag', (url, why) => {
    const r = checkCallbackUrl(url, false);
    expect(r.ok).toBe(false);
    const problem = r.ok ? '' : r.problem;
    expect(problem).toMatch(why);
    expect(problem).toContain(FLAG);
    expect(problem).toContain('Service name or another routable address');
  });

  it.each(refused)('allows %s when the operator runs with the flag', (url) => {
    expect(checkCallbackUrl(url, true).ok).toBe(true);
  });

  it.each(allowed)('allows %s', (url) => {
    expect(checkCallbackUrl(url, false).ok).toBe(true);
  });

  it.each([
    ['ftp://hooks.example.com/x', /uses the "ftp" scheme; only http:\/\/ and https:\/\//],
    ['file:///etc/passwd', /uses the "file" scheme/],
    ['gopher://127.0.0.1:25/', /uses the "gopher" scheme/],
    ['javascript:alert(1)', /uses the "javascript" scheme/],
    ['https://user:pass@hooks.example.com/', /must not carry a user name or password.*spec\.notify\.secretRef/],
    ['https://token@hooks.example.com/', /must not carry a user name or password/],
    ['not a url', /"not a url" is not a URL; write it like https:\/\//],
    ['http://[fe80::1%25eth0]/', /is not a URL/], // WHATWG URL has no zone ids
  ])('refuses %s even with the flag', (url, why) => {
    for (const allow of [false, true]) {
      const r = checkCallbackUrl(url, allow);
      expect(r.ok ? '' : r.problem).toMatch(why);
    }
  });

  it('keeps a 100 KiB URL out of the message', () => {
    const url = `https://hooks.example.com/${'a'.repeat(100 * 1024)}`;
    const r = checkCallbackUrl(url, false);
    expect(r.ok ? '' : r.problem).toBe(`is ${url.length} characters long; a callback URL may have at most 2048`);
    const bad = checkCallbackUrl('x'.repeat(2000), false);
    expect((bad.ok ? '' : bad.problem).length).toBeLessThan(200);
  });
});

describe('addressRefusal: addresses as a resolver may give them', () => {
  it.each([
    ['127.0.0.1', /is loopback/],
    ['127.1', /is loopback/],
    ['2130706433', /is loopback/],
    ['0x7f.1', /is loopback/],
    ['0177.0.0.1', /is loopback/],
    ['::1', /is loopback/],
    ['::ffff:127.0.0.1', /embeds 127\.0\.0\.1/],
    ['::ffff:7f00:1', /embeds 127\.0\.0\.1/],
    ['fe80::1%eth0', /is link-local/], // zone id
    ['fe80::a9fe:a9fe%25', /is link-local/],
    ['[::1]', /is loopback/],
    ['169.254.169.254', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['localhost', /is not an IP address/],
    ['', /is not an IP address/],
  ])('%s %s', (address, why) => {
    expect(addressRefusal(address)).toMatch(why);
  });

  it.each(['93.184.216.34', '2606:2800::1', '10.1.2.3', '::ffff:10.1.2.3', '2001:db8::1'])('allows %s', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });
});

describe('callback targets at delivery (DNS injected)', () => {
  const resolver = (answers: Record<string, string[]>): Lookup & { asked: string[] } => {
    const asked: string[] = [];
    const fn = async (host: string) => {
      asked.push(host);
      const a = answers[host];
      if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return Object.assign(fn, { asked });
  };

  it.each([
    ['http://rebind.example.test./', ['127.0.0.1']], // trailing-dot name resolving to loopback
    ['http://rebind.example.test/', ['127.0.0.53']],
    ['http://v6.example.test/', ['::1']],
    ['http://mapped.example.test/', ['::ffff:127.0.0.1']],
    ['http://meta.example.test/', ['169.254.169.254']],
    ['http://mixed.example.test/', ['93.184.216.34', '169.254.169.254']], // every address is checked, not only the first
    ['http://mixed6.example.test/', ['2606:2800::1', 'fe80::1%eth0']],
  ])('refuses %s resolving to %j', async (url, addresses) => {
    const host = new URL(url).hostname;
    const lookup = resolver({ [host]: addresses });
    const err = await resolveTarget(url, false, lookup).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      new RegExp(`^spec\\.notify\\.url: host ${host.replace(/\./g, '\\.')} resolves to .*, which (is|embeds) .*${FLAG}`),
    );
    await expect(resolveTarget(url, true, lookup)).resolves.toMatchObject({ address: addresses[0] });
  });

  it('connects to the first address, after checking all of them', async () => {
    const lookup = resolver({ 'hooks.example.test': ['93.184.216.34', '2606:2800::1'] });
    await expect(resolveTarget('https://hooks.example.test/x', false, lookup)).resolves.toMatchObject({
      address: '93.184.216.34',
      family: 4,
    });
    expect(lookup.asked).toEqual(['hooks.example.test']);
  });

  it('does not ask DNS for IP addresses or refused names', async () => {
    const lookup = resolver({});
    await expect(resolveTarget('http://[::ffff:7f00:1]:8080/', false, lookup)).rejects.toThrow('embeds 127.0.0.1');
    await expect(resolveTarget('http://localhost.:8080/', false, lookup)).rejects.toThrow('is a loopback name');
    await expect(resolveTarget('https://93.184.216.34/', false, lookup)).resolves.toMatchObject({ address: '93.184.216.34' });
    expect(lookup.asked).toEqual([]);
  });

  it('says when the host does not resolve', async () => {
    await expect(resolveTarget('https://nowhere.example.test/', false, resolver({}))).rejects.toThrow(
      'spec.notify.url: host nowhere.example.test does not resolve (ENOTFOUND)',
    );
  });
});

describe('validateSpec and the webhook apply the same rule', () => {
  const jobTemplate = { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } } } };
  const spec = (url: string) => ({ schedule: '0 3 * * *', jobTemplate, notify: { url } });

  it('refuses a private target with a fix-it message naming spec.notify.url, unless allowed', () => {
    const r = validateSpec(spec('http://[::ffff:127.0.0.1]:8080/hook'));
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([
      {
        field: 'spec.notify.url',
        message: expect.stringMatching(
          /^host ::ffff:7f00:1 embeds 127\.0\.0\.1 \(IPv4-mapped\), which is loopback; .*--allow-private-callback-targets$/,
        ),
      },
    ]);
    expect(validateSpec(spec('http://[::ffff:127.0.0.1]:8080/hook'), { allowPrivateCallbackTargets: true }).ok).toBe(true);
    expect(validateSpec(spec('https://hooks.example.com/runs')).ok).toBe(true);
  });

  it('refuses a 100 KiB URL by its length, without echoing it', () => {
    const r = validateSpec(spec(`https://hooks.example.com/${'a'.repeat(100 * 1024)}`));
    expect(r.ok ? [] : r.errors).toEqual([{ field: 'spec.notify.url', message: 'must have at most 2048 characters' }]);
  });

  it('the webhook refuses at kubectl apply, and admits with the flag', async () => {
    const review = (url: string): AdmissionReview => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'r',
        kind: { group: 'schedule-operator.io', version: 'v1alpha1', kind: 'Schedule' },
        operation: 'CREATE',
        namespace: 'team-a',
        name: 'n',
        userInfo: { username: 'alice' },
        object: { metadata: { name: 'n', namespace: 'team-a' }, spec: spec(url) },
      },
    });
    const deps = {
      checkJobPermission: false,
      dryRunCronJob: async () => ({ ok: true as const }),
      canCreateJobs: async () => ({ allowed: true }),
    };
    const refusedReview = await admit(review('http://2130706433:8080/'), deps);
    expect(refusedReview.response).toMatchObject({
      allowed: false,
      status: { code: 422, message: expect.stringContaining('spec.notify.url: host 127.0.0.1 is loopback') },
    });
    expect((await admit(review('http://2130706433:8080/'), { ...deps, allowPrivateCallbackTargets: true })).response?.allowed).toBe(true);
  });
});
