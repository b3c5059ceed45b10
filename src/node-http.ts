// node:http, taken with process.getBuiltinModule, for every file of src/ that needs it (test/unit/architecture.test.ts
// refuses an ES import of node:http elsewhere). An ES import of a built-in module evaluates all of its exports,
// and node:http's include lazy getters (WebSocket, CloseEvent, MessageEvent) that load Node's bundled undici: a
// fetch client the operator never uses, whose 0.8 MB of source then stays in the heap (measured on Node 24:
// a bare process is 58 MiB RSS after `import http from 'node:http'`, 45 MiB without; importing the
// controller's modules, 83 MiB before this file and 79 MiB after). getBuiltinModule also works where
// import.meta.url does not (the bundled kubectl-schedule). The test "the controller does not load Node's
// bundled undici" in test/unit/cli/next.test.ts checks the built controller.
export const http: typeof import('node:http') = process.getBuiltinModule('node:http');
