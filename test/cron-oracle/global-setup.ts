// Builds the Go oracle once before the unit tests start, so no single test pays for a cold Go build (about
// 10 s on a fresh machine, more than a unit test's 5 s timeout).
import { buildOracle } from './oracle.js';

export default function setup(): void {
  buildOracle();
}
