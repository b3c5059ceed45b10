// Where a callback may go: the one rule, used at admission (validateSpec, without DNS) and again at delivery
// (notify/notifier.ts: after DNS, on every address the name resolves to). Pure: DNS is passed in.
//   - only http and https; no user:password@ in the URL (sign with spec.notify.secretRef instead);
//   - unless the operator runs with --allow-private-callback-targets, never to a loopback, link-local or
//     unspecified address, nor to a cloud metadata address (METADATA_V4, METADATA_V6), nor to a name that
//     means one of them (localhost, *.localhost, METADATA_NAMES). A Schedule's author must not be able to make
//     the operator call its own node or the cloud's credential service.
// Addresses are read by ipaddr.js, so every textual form counts (127.1, 2130706433, 0x7f.1, 0177.0.0.1, IPv6 with
// zone ids and upper-case hex), and IPv6 addresses that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
// IPv4-translated, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo) are judged by that IPv4 address too.
// Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7 apart from the metadata addresses) are allowed:
// in-cluster receivers live there. At delivery the connection goes to the address that was checked (see
// notify/notifier.ts), so an answer that changes between check and connect (DNS rebinding) is never used.
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** METADATA_V4: instance metadata and platform services (AWS/GCP/Azure/Oracle/DigitalOcean IMDS, ECS task and EKS Pod Identity, Alibaba, Azure wireserver). */
export const METADATA_V4 = ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '168.63.129.16'];
/** METADATA_V6: AWS IMDS and EKS Pod Identity over IPv6, GCE metadata over IPv6. */
export const METADATA_V6 = ['fd00:ec2::254', 'fd00:ec2::23', 'fd20:ce::254'];
/** METADATA_NAMES: host names of metadata services (they resolve to link-local addresses, refused at delivery anyway). */
export const METADATA_NAMES = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
];

export const ALLOW_FLAG = '--allow-private-callback-targets';
const FIX = `callbacks to loopback, link-local, unspecified and cloud metadata addresses are refused; use the receiver's Service name or another routable address, or run the operator with ${ALLOW_FLAG}`;
export const MAX_URL_LENGTH = 2048;

export interface ResolvedTarget {
  url: URL;
  /** address is the checked address the connection goes to. */
  address: string;
  family: 4 | 6;
}

/** Lookup resolves a host name to all its addresses (at delivery: dns.lookup with all and verbatim). */
export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** TargetError is a callback URL the operator refuses; its message names spec.notify.url and the fix. */
export class TargetError extends Error {}

export type UrlCheck =
  | {
      ok: true;
      url: URL /** host: the URL's host name without brackets */;
      host: string /** literal: the host is an IP address */;
      literal: boolean;
    }
  | { ok: false; problem: string };

/**
 * checkCallbackUrl is the part of the rule that needs no DNS: scheme, credentials, length, and the host when it
 * is an IP address or a well-known name. `problem` reads after "spec.notify.url: ".
 */
export function checkCallbackUrl(raw: string, allowPrivate: boolean): UrlCheck {
  if (raw.length > MAX_URL_LENGTH)
    return { ok: false, problem: `is ${raw.length} characters long; a callback URL may have at most ${MAX_URL_LENGTH}` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: `${JSON.stringify(clip(raw))} is not a URL; write it like https://hooks.example.com/runs` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      problem: `uses the ${JSON.stringify(clip(url.protocol.replace(/:$/, ''), 20))} scheme; only http:// and https:// callbacks are sent`,
    };
  }
  if (url.username || url.password) {
    return {
      ok: false,
      problem: 'must not carry a user name or password (user:password@host); sign deliveries with spec.notify.secretRef instead',
    };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host));
  if (!allowPrivate) {
    const why = literal ? addressRefusal(host) : nameRefusal(host);
    if (why) return { ok: false, problem: `host ${clip(host)} ${why}; ${FIX}` };
  }
  return { ok: true, url, host, literal };
}

/** resolveTarget applies the whole rule at delivery: checkCallbackUrl, then every address the host resolves to. */
export async function resolveTarget(raw: string, allowPrivate: boolean, lookup: Lookup): Promise<ResolvedTarget> {
  const checked = checkCallbackUrl(raw, allowPrivate);
  if (!checked.ok) throw new TargetError(`spec.notify.url: ${checked.problem}`);
  const { url, host, literal } = checked;
  const addresses = literal
    ? [{ address: host, family: host.includes(':') ? 6 : 4 }]
    : await lookup(host).catch((err: Error) => {
        throw new TargetError(
          `spec.notify.url: host ${clip(host)} does not resolve (${(err as NodeJS.ErrnoException).code ?? err.message}); deliveries are retried`,
        );
      });
  if (addresses.length === 0) throw new TargetError(`spec.notify.url: host ${clip(host)} does not resolve; deliveries are retried`);
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = addressRefusal(a.address);
      if (why) throw new TargetError(`spec.notify.url: host ${clip(host)} resolves to ${a.address}, which ${why}; ${FIX}`);
    }
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * nameRefusal: why a host name is refused without asking DNS (localhost, *.localhost, metadata names; any case,
 * trailing dots ignored), or undefined when only its addresses can tell.
 */
export function nameRefusal(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.+$/, '');
  if (n === 'localhost' || n.endsWith('.localhost') || n === 'localhost.localdomain') return 'is a loopback name';
  if (METADATA_NAMES.includes(n)) return 'is a cloud metadata service';
  return undefined;
}

/**
 * addressRefusal: why an IP address (any textual form ipaddr.js reads) is refused, e.g. "is loopback" or
 * "embeds 127.0.0.1 (IPv4-mapped), which is loopback"; undefined when it is allowed. Text that is no IP address
 * is refused.
 */
export function addressRefusal(address: string): string | undefined {
  let ip: IPv4 | IPv6;
  try {
    ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  } catch {
    return 'is not an IP address';
  }
  if (ip.kind() === 'ipv4') return v4Refusal(ip as IPv4);
  const v6 = ip as IPv6;
  const own = v6Refusal(v6);
  if (own) return own;
  for (const { how, v4 } of embeddedIPv4(v6)) {
    const why = v4Refusal(v4);
    if (why) return `embeds ${v4.toString()} (${how}), which ${why}`;
  }
  return undefined;
}

function v4Refusal(ip: IPv4): string | undefined {
  if (METADATA_V4.includes(ip.toString())) return 'is a cloud metadata address';
  switch (ip.range()) {
    case 'loopback':
      return 'is loopback';
    case 'linkLocal':
      return 'is link-local';
    case 'unspecified':
      return 'is unspecified (0.0.0.0/8)';
    default:
      return undefined;
  }
}

const METADATA_V6_NORMALIZED = METADATA_V6.map((m) => ipaddr.IPv6.parse(m).toNormalizedString());

function v6Refusal(ip: IPv6): string | undefined {
  if (METADATA_V6_NORMALIZED.includes(ip.toNormalizedString())) return 'is a cloud metadata address';
  switch (ip.range()) {
    case 'loopback':
      return 'is loopback';
    case 'linkLocal':
      return 'is link-local';
    case 'unspecified':
      return 'is unspecified';
    default:
      return undefined;
  }
}

/** embeddedIPv4 lists the IPv4 addresses an IPv6 address carries, and how. */
export function embeddedIPv4(ip: IPv6): Array<{ how: string; v4: IPv4 }> {
  const p = ip.parts;
  const b = ip.toByteArray();
  const v4 = (...bytes: number[]) => new ipaddr.IPv4(bytes);
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  const out: Array<{ how: string; v4: IPv4 }> = [];
  const last32 = v4(b[12]!, b[13]!, b[14]!, b[15]!);
  if (zero(0, 5) && p[5] === 0xffff) out.push({ how: 'IPv4-mapped', v4: last32 });
  if (zero(0, 6)) out.push({ how: 'IPv4-compatible', v4: last32 });
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) out.push({ how: 'IPv4-translated', v4: last32 });
  if (p[0] === 0x64 && p[1] === 0xff9b && zero(2, 6)) out.push({ how: 'NAT64 64:ff9b::/96', v4: last32 });
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) {
    // Local-use NAT64 (RFC 8215): the network picks the prefix length, so every RFC 6052 layout within the /48
    // counts, except that a shorter layout reading the zero padding of a longer one (0.0.0.0/8) finds no target.
    out.push({ how: 'NAT64 64:ff9b:1::/48, /96 layout', v4: last32 });
    for (const [len, v] of [
      [48, v4(b[6]!, b[7]!, b[9]!, b[10]!)],
      [56, v4(b[7]!, b[9]!, b[10]!, b[11]!)],
      [64, v4(b[9]!, b[10]!, b[11]!, b[12]!)],
    ] as const) {
      if (v.range() !== 'unspecified') out.push({ how: `NAT64 64:ff9b:1::/48, /${len} layout`, v4: v });
    }
  }
  if (p[0] === 0x2002) out.push({ how: '6to4', v4: v4(b[2]!, b[3]!, b[4]!, b[5]!) });
  if (p[0] === 0x2001 && p[1] === 0) {
    out.push({ how: 'Teredo client', v4: v4(b[12]! ^ 0xff, b[13]! ^ 0xff, b[14]! ^ 0xff, b[15]! ^ 0xff) });
    out.push({ how: 'Teredo server', v4: v4(b[4]!, b[5]!, b[6]!, b[7]!) });
  }
  return out;
}

/** clip keeps a user-supplied value short enough for a status message or a log line. */
export function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
