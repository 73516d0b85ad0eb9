import { expect } from '@open-wc/testing';
import { InsightApiError } from '../../sdk/client.ts';
import { RETRY_CAP_MS, isRetryable, retryDelayMs } from './retry.ts';

describe('retry of a failed card', () => {
  it('backs off 2 s, 4 s, 8 s … up to a minute, jittered by a quarter either way', () => {
    const middle = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 30].map((n) => retryDelayMs(n, middle))).to.deep.equal([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(retryDelayMs(0, () => 0)).to.equal(1500);
    expect(retryDelayMs(0, () => 0.999999)).to.equal(2500);
    expect(retryDelayMs(12, () => 0.999999)).to.be.at.most(RETRY_CAP_MS * 1.25);
  });

  it('retries network errors and 5xx answers by itself, not 4xx or aborts', () => {
    expect(isRetryable(new TypeError('Failed to fetch'))).to.equal(true);
    expect(isRetryable(new InsightApiError(503, 'ERR_DATABASE_UNAVAILABLE', 'down'))).to.equal(true);
    expect(isRetryable(new InsightApiError(500, 'ERR_INTERNAL', 'oops'))).to.equal(true);
    expect(isRetryable(new InsightApiError(429, 'ERR_RATE_LIMITED', 'slow down'))).to.equal(true);
    expect(isRetryable(new InsightApiError(403, 'ERR_FORBIDDEN', 'no'))).to.equal(false);
    expect(isRetryable(new InsightApiError(401, 'ERR_TOKEN_EXPIRED', 'expired'))).to.equal(false);
    expect(isRetryable(new DOMException('aborted', 'AbortError'))).to.equal(false);
    expect(isRetryable(new Error('ERR_CHART_RENDER'))).to.equal(false);
  });
});
