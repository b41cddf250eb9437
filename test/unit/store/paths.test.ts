import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { dataPaths, defaultDataDir, resolveDataDir } from '../../../src-main/store/paths';

describe('defaultDataDir', () => {
  it.each([
    ['linux', {}, join('/home/ada', '.local', 'share', 'nos-studio')],
    ['linux', { XDG_DATA_HOME: '/data/xdg' }, join('/data/xdg', 'nos-studio')],
    ['darwin', {}, join('/home/ada', 'Library', 'Application Support', 'NOS Studio')],
    [
      'win32',
      { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' },
      join('C:\\Users\\ada\\AppData\\Roaming', 'NOS Studio'),
    ],
  ] as const)(
    'platform=%s env=%j is the usual application-data folder',
    (platform, env, expected) => {
      expect(defaultDataDir(env, platform, '/home/ada')).toBe(expected);
    },
  );
});

describe('resolveDataDir', () => {
  it('prefers --data-dir over NOS_STUDIO_HOME over the default', () => {
    const env = { NOS_STUDIO_HOME: '/srv/nos' };
    expect(resolveDataDir('rel/dir', env)).toBe(resolve('rel/dir'));
    expect(resolveDataDir(undefined, env)).toBe('/srv/nos');
    expect(resolveDataDir(undefined, { HOME: '/x', XDG_DATA_HOME: '/x/share' })).toContain(
      'nos-studio',
    );
  });

  it('lays out nos.db, datasets/ and runs/ inside the data folder', () => {
    expect(dataPaths('/d')).toEqual({
      root: '/d',
      db: join('/d', 'nos.db'),
      datasets: join('/d', 'datasets'),
      runs: join('/d', 'runs'),
    });
  });
});
