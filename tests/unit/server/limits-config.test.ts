/** Every limit is an environment variable with a default; a malformed or contradictory one stops the start. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.ts';
import { openFilesLimit } from '../../../server/http/hygiene.ts';
import { DEFAULT_LIMITS } from '../../../server/limits/config.ts';

describe('limits from the environment', () => {
  it('uses the defaults when nothing is set, and reads each variable', () => {
    expect(loadConfig({}).limits).toEqual(DEFAULT_LIMITS);
    const limits = loadConfig({
      FIELDBOARD_MAX_CONNECTIONS: '100',
      FIELDBOARD_MAX_CONNECTIONS_PER_ADDRESS: '0',
      FIELDBOARD_RATE_FRAMES_PER_S: '7',
      FIELDBOARD_RATE_USER_WRITES_PER_MIN: '900',
      FIELDBOARD_MAX_SOCKETS_PER_SESSION: '2',
      FIELDBOARD_MAX_DASHBOARD_BYTES: '1048576',
      FIELDBOARD_PAGE_BYTES: '65536',
    }).limits;
    expect(limits).toMatchObject({
      maxConnections: 100,
      maxConnectionsPerAddress: 0,
      framesPerSecond: 7,
      userWritesPerMinute: 900,
      maxSocketsPerSession: 2,
      maxDashboardBytes: 1048576,
      pageBytes: 65536,
    });
  });

  it('refuses malformed values, limits under one full push, and contradictions, naming the variable', () => {
    expect(() => loadConfig({ FIELDBOARD_MAX_CONNECTIONS: 'lots' })).toThrow(/FIELDBOARD_MAX_CONNECTIONS must be a whole number/);
    expect(() => loadConfig({ FIELDBOARD_RATE_SOCKET_MUTATIONS_PER_MIN: '100' })).toThrow(ConfigError);
    expect(() => loadConfig({ FIELDBOARD_TRACE: 'maybe' })).toThrow(/FIELDBOARD_TRACE must be true or false/);
    expect(() => loadConfig({ FIELDBOARD_HEADERS_TIMEOUT_MS: '20000', FIELDBOARD_REQUEST_TIMEOUT_MS: '10000' })).toThrow(
      /FIELDBOARD_HEADERS_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ FIELDBOARD_MAX_SOCKETS_PER_SESSION: '60', FIELDBOARD_MAX_SOCKETS_PER_USER: '50' })).toThrow(
      /FIELDBOARD_MAX_SOCKETS_PER_SESSION/,
    );
  });
});

describe('the descriptor limit the connection cap is compared with', () => {
  it('reads the soft open files limit from /proc/self/limits text', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63608                63608                processes ',
      'Max open files            1024                 524288               files     ',
    ].join('\n');
    expect(openFilesLimit(text)).toBe(1024);
    expect(openFilesLimit(text.replace('1024  ', 'unlimited'))).toBeNull();
    expect(openFilesLimit('nothing here')).toBeNull();
  });
});
