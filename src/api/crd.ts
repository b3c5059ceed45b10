// Generates the Schedule CustomResourceDefinition from the zod schemas (one source of truth).
// zod's JSON Schema is post-processed into a Kubernetes structural schema: no $schema, no
// additionalProperties:false beside properties, a type on every node, and CEL rules carried by .meta().
import { z } from 'zod';
import { GROUP, KIND, MAX_NAME_LENGTH, PLURAL, VERSION, scheduleSpecSchema, scheduleStatusSchema } from './schedule.js';

type JsonSchema = { [key: string]: unknown };

/** structural rewrites one JSON Schema node (and its children) into the form the API server accepts. */
function structural(node: JsonSchema): JsonSchema {
  if (node['x-kubernetes-preserve-unknown-fields'] === true) {
    // The Job template is validated by a server-side dry run of the CronJob, not re-modelled here.
    return { type: 'object', description: node.description, 'x-kubernetes-preserve-unknown-fields': true };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'id' || key === 'pattern') continue; // see note on pattern below
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, structural(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = structural(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (out.type === undefined) throw new Error(`schema node without a type: ${JSON.stringify(node).slice(0, 200)}`);
  // zod writes integers as {type: integer, minimum: -9007199254740991 ...}: keep only meaningful bounds.
  for (const bound of ['minimum', 'maximum'] as const) {
    if (typeof out[bound] === 'number' && Math.abs(out[bound] as number) >= Number.MAX_SAFE_INTEGER) delete out[bound];
  }
  return out;
}
// Regex patterns (HH:MM) are kept out of the CRD: the same rule lives in validateSpec, whose message
// says what to write instead; an OpenAPI pattern failure would only echo the regex at the user.

function toSchema(schema: z.ZodType): JsonSchema {
  return structural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as JsonSchema);
}

const printerColumns = [
  { name: 'Schedule', type: 'string', jsonPath: '.status.effectiveSchedule' },
  { name: 'TimeZone', type: 'string', jsonPath: '.spec.timeZone' },
  { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Last Result', type: 'string', jsonPath: '.status.lastRun.result' },
  { name: 'Last Schedule', type: 'date', jsonPath: '.status.lastScheduleTime' },
  { name: 'Next Run', type: 'string', jsonPath: '.status.nextRunTime' },
  { name: 'Succeeded', type: 'integer', jsonPath: '.status.runs.succeeded' },
  { name: 'Failed', type: 'integer', jsonPath: '.status.runs.failed' },
  { name: 'Missed', type: 'integer', jsonPath: '.status.runs.missed' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

/** scheduleCrd returns the CustomResourceDefinition object for Schedule. */
export function scheduleCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'schedule-operator', 'app.kubernetes.io/part-of': 'schedule-operator' },
    },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'schedule', shortNames: ['sched'], categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description:
                'Schedule runs a Job template on a cron schedule, preset or interval in a time zone, through a CronJob the operator owns, and reports every run in its status.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toSchema(scheduleSpecSchema),
                status: toSchema(scheduleStatusSchema),
              },
              'x-kubernetes-validations': [
                {
                  rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`,
                  message: `metadata.name must be at most ${MAX_NAME_LENGTH} characters: the operator names the CronJob after the Schedule, and Kubernetes limits CronJob names to ${MAX_NAME_LENGTH}`,
                },
              ],
            },
          },
        },
      ],
    },
  };
}
