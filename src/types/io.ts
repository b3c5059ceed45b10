// Io: what a command needs from its process (output lines and the time), injected so tests capture it.
// The command line (src/cli.ts) provides it; the controller's entry point (src/main.ts) takes it.
import type { Clock } from '../clock.js';

export interface Io extends Pick<Clock, 'now'> {
  stdout(line: string): void;
  stderr(line: string): void;
}
