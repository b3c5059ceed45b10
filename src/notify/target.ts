// Where a callback may go. Only http and https; and, unless the operator setting
// --allow-private-callback-targets is on, never to loopback, link-local (which includes cloud metadata
// endpoints such as 169.254.169.254), unspecified or IPv6 unique-local metadata addresses - a Schedule's author
// must not be able to make the operator call its own node or the cloud's credential service.
// The host name is resolved first and the connection goes to the address that was checked (no DNS rebinding).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface ResolvedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** TargetError is a callback URL the operator refuses; its message names spec.notify.url and the fix. */
export class TargetError extends Error {}

/** resolveTarget parses and checks a callback URL and picks the address to connect to. */
export async function resolveTarget(rawUrl: string, allowPrivate: boolean, lookup: Lookup = defaultLookup): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TargetError(`spec.notify.url "${rawUrl}" is not a URL; write it like https://hooks.example.com/runs`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetError(`spec.notify.url uses ${url.protocol.replace(':', '')}; only http and https callbacks are sent`);
  }
  if (url.username || url.password) throw new TargetError('spec.notify.url must not carry credentials; sign deliveries with spec.notify.secretRef instead');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host).catch((err: Error) => {
    throw new TargetError(`spec.notify.url host ${host} does not resolve: ${err.message}`);
  });
  if (addresses.length === 0) throw new TargetError(`spec.notify.url host ${host} does not resolve`);
  if (!allowPrivate) {
    const bad = addresses.find((a) => forbiddenAddress(a.address));
    if (bad) {
      throw new TargetError(
        `spec.notify.url host ${host} resolves to ${bad.address}, a loopback, link-local or metadata address; callbacks there are refused unless the operator runs with --allow-private-callback-targets`,
      );
    }
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** forbiddenAddress: loopback, link-local (incl. metadata), unspecified, and IPv4-mapped forms of them. */
export function forbiddenAddress(address: string): boolean {
  const a = address.toLowerCase();
  const mapped = a.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return forbiddenAddress(mapped[1]!);
  if (isIP(a) === 4) {
    const [o1, o2] = a.split('.').map(Number) as [number, number];
    return o1 === 127 || o1 === 0 || (o1 === 169 && o2 === 254) || (o1 === 100 && o2 === 100 && a === '100.100.100.200');
  }
  if (isIP(a) === 6) {
    return a === '::1' || a === '::' || /^fe[89ab][0-9a-f]:/.test(a) || a === 'fd00:ec2::254';
  }
  return true; // not an address at all: refuse
}
