// A small JSON REST client for the Kubernetes API: raw JSON in and out (dates stay RFC3339 strings),
// any content type (server-side apply, merge patch), dry runs and subresources. Authentication comes
// from the kubeconfig (src/kube/kubeconfig.ts: certificates, tokens, exec plugins, impersonation).
import https from 'node:https';
import { http } from '../node-http.js';
import type { RestConfig } from './kubeconfig.js';

/** ApiError is a non-2xx answer of the API server, with its Status reason (e.g. Conflict, NotFound). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 409;
/** isInvalid: the API server refused the object itself (422 Invalid, 400 BadRequest): retrying the same object cannot help. */
export const isInvalid = (err: unknown): err is ApiError => err instanceof ApiError && (err.statusCode === 422 || err.statusCode === 400);
export const isAlreadyExists = (err: unknown): boolean => err instanceof ApiError && err.reason === 'AlreadyExists';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Rest {
  request<T = unknown>(method: Method, path: string, options?: RequestOptions): Promise<T>;
}

/** restClient builds a Rest client for the API server of a loaded kubeconfig (src/kube/kubeconfig.ts). */
export function restClient(kc: RestConfig): Rest {
  const server = new URL(kc.server);
  const secure = server.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : new http.Agent({ keepAlive: true, maxSockets: 32 });
  const basePath = server.pathname.replace(/\/$/, '');

  return {
    async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query.set(k, v);
      const qs = query.toString();
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const opts: https.RequestOptions = {
        method,
        protocol: server.protocol,
        hostname: server.hostname.replace(/^\[|\]$/g, ''),
        port: server.port || (secure ? 443 : 80),
        path: `${basePath}${path}${qs ? `?${qs}` : ''}`,
        headers: {
          Accept: 'application/json',
          ...(body !== undefined
            ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) }
            : {}),
        },
        agent,
        timeout: options.timeoutMs ?? 30_000,
      };
      await kc.applyTo(opts);
      try {
        return await send<T>(secure ? https : http, opts, body);
      } catch (err) {
        if (err instanceof ApiError && err.statusCode === 401) kc.unauthorized(); // the retry fetches fresh credentials
        throw err;
      }
    },
  };
}

function send<T>(mod: typeof https | typeof http, opts: https.RequestOptions, body: string | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = mod.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        if (status >= 200 && status < 300) {
          resolve(parsed as T);
          return;
        }
        const s = (parsed ?? {}) as { reason?: string; message?: string; details?: unknown };
        reject(new ApiError(status, s.reason ?? `HTTP${status}`, s.message ?? (text.slice(0, 300) || `HTTP ${status}`), s.details));
      });
    });
    req.on('timeout', () =>
      req.destroy(new Error(`request to the API server timed out after ${opts.timeout} ms: ${opts.method} ${opts.path}`)),
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
