// The work queue's key for a Schedule: "namespace/name". Every other module builds and reads keys through these two.

export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
