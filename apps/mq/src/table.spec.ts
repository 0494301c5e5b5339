import { duration } from './table';

describe('duration', () => {
  it('shows ms below a second (a WAIT P95 bucket of 5 ms is not 0.0s), then seconds, minutes, hours', () => {
    expect([5, 10, 25, 250, 999, 0, -200].map(duration)).toEqual(['5ms', '10ms', '25ms', '250ms', '999ms', '0ms', '-200ms']);
    expect([999.6, 1000, 1250, 9_949, 60_000, 3_900_000].map(duration)).toEqual(['1.0s', '1.0s', '1.3s', '9.9s', '1m00s', '1h05m']);
  });
});
