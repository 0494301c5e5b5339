/** loadConfig and parseConfig refuse options they cannot use (a misspelt key would be ignored), naming `loadConfig.<key>` / `parseConfig.<key>`. */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { QueueConfigError } from '../errors';
import { ConfigValidationError, LoadConfigOptions, loadConfig, parseConfig } from '.';

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mq-config-options-'));
  writeFileSync(join(dir, 'config.yaml'), 'service_name: from-dir\n');
  return dir;
}

function refusal(call: () => unknown): QueueConfigError {
  try {
    call();
  } catch (error) {
    if (error instanceof QueueConfigError) return error;
    throw error;
  }
  throw new Error('expected a QueueConfigError');
}

describe('loadConfig options', () => {
  const dir = configDir();

  it('takes dir, env, file and overrides', () => {
    expect(loadConfig({ dir, env: {} }).service_name).toBe('from-dir');
    expect(loadConfig({ dir, env: {}, overrides: { service_name: 'over' } }).service_name).toBe('over');
    expect(loadConfig({ dir, env: {}, file: undefined, overrides: undefined }).service_name).toBe('from-dir');
  });

  const cases: Array<[string, unknown, string]> = [
    ['a misspelt dir', { directory: dir, env: {} }, 'loadConfig.directory'],
    ['misspelt overrides', { dir, env: {}, overides: { service_name: 'x' } }, 'loadConfig.overides'],
    ['options that are a string', './x', 'loadConfig'],
    ['options that are null', null, 'loadConfig'],
    ['overrides as YAML text', { dir, env: {}, overrides: 'service_name: x' }, 'loadConfig.overrides'],
    ['overrides as a list', { dir, env: {}, overrides: [1] }, 'loadConfig.overrides'],
    ['a dir that is a number', { dir: 42, env: {} }, 'loadConfig.dir'],
    ['an empty file', { dir, env: {}, file: '' }, 'loadConfig.file'],
    ['an env that is a name', { dir, env: 'prod' }, 'loadConfig.env'],
    ['an env variable that is a number', { dir, env: { PORT: 3 } }, 'loadConfig.env.PORT'],
  ];
  it.each(cases)('refuses %s with QueueConfigError naming it', (_what, options, path) => {
    const error = refusal(() => loadConfig(options as LoadConfigOptions));
    expect(error).toMatchObject({ code: 'QUEUE_CONFIG', path });
    expect(error.message.startsWith(`${path}: expected `)).toBe(true);
  });

  it('lists the options it takes', () => {
    expect(() => loadConfig({ directory: dir } as LoadConfigOptions)).toThrow(
      'loadConfig.directory: expected a known option (dir, env, file, overrides), got "directory"',
    );
  });
});

describe('parseConfig', () => {
  it('refuses an unknown or bad option, naming it', () => {
    expect(refusal(() => parseConfig({}, { enviroment: {} } as never))).toMatchObject({ path: 'parseConfig.enviroment' });
    expect(refusal(() => parseConfig({}, 'prod' as never))).toMatchObject({ path: 'parseConfig' });
    expect(refusal(() => parseConfig({}, { env: [] as never }))).toMatchObject({ path: 'parseConfig.env' });
    expect(refusal(() => parseConfig({}, { sources: 'config.yaml' as never }))).toMatchObject({ path: 'parseConfig.sources' });
    expect(parseConfig({ service_name: 'svc' }, { env: {}, sources: ['a.yaml'] }).service_name).toBe('svc');
  });

  it.each([['x'], [[1]], [42]])('names the root when the configuration %p is not a mapping', (raw) => {
    const call = () => parseConfig(raw, { env: {} });
    expect(call).toThrow(ConfigValidationError);
    expect(call).toThrow(expect.objectContaining({ problems: [expect.objectContaining({ path: '(root)', found: raw })] }));
    expect(call).toThrow(/\n {2}- \(root\): expected a mapping of configuration sections/);
  });
});
