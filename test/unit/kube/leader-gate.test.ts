import { describe, expect, it } from 'vitest';
import { NotLeaderError, gateWrites } from '../../../src/kube/leader-gate.js';
import { FakeKube } from '../../support/fake-kube.js';

describe('gateWrites', () => {
  it('passes writes through while leading and refuses every one, without calling the API, once not leading', async () => {
    const inner = new FakeKube();
    let leading = true;
    const kube = gateWrites(inner, () => leading);
    await kube.recordEvent({ namespace: 'ns', name: 's' }, { type: 'Normal', reason: 'R', message: 'm', action: 'A' });
    expect(inner.writes).toHaveLength(1);
    leading = false;
    await expect(
      kube.recordEvent({ namespace: 'ns', name: 's' }, { type: 'Normal', reason: 'R', message: 'm', action: 'A' }),
    ).rejects.toBeInstanceOf(NotLeaderError);
    await expect(kube.updateScheduleStatus({} as never, {})).rejects.toThrow(
      'refused updateScheduleStatus: this process does not hold the leader Lease',
    );
    expect(inner.writes).toHaveLength(1);
  });
});
