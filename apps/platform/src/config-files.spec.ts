import { resolve } from 'path';
import { configFileVariable, serviceConfigFiles } from './config-files';
import { platformServices } from './services';

const ROOT = resolve(__dirname, '..', '..', '..');

describe('the launcher: overlays of the services', () => {
  const services = platformServices({}, false);

  it('each service gets its own apps/<name>/config.yaml by default', () => {
    expect(serviceConfigFiles(services, {})).toEqual({
      files: {
        'ai-service': 'apps/ai-service/config.yaml',
        'meeting-service': 'apps/meeting-service/config.yaml',
        'media-service': 'apps/media-service/config.yaml',
        'signaling-service': 'apps/signaling-service/config.yaml',
      },
    });
  });

  it('<NAME>_CONFIG_FILE replaces one service overlay (resolved from the repository)', () => {
    expect(configFileVariable('meeting-service')).toBe('MEETING_SERVICE_CONFIG_FILE');
    const result = serviceConfigFiles(services, { MEETING_SERVICE_CONFIG_FILE: 'config/config.yaml' });
    expect(result).toMatchObject({ files: { 'meeting-service': resolve(ROOT, 'config/config.yaml'), 'ai-service': 'apps/ai-service/config.yaml' } });
  });

  it('CONFIG_FILE is refused with one line naming the per-service variables; a missing overlay names its variable', () => {
    expect(serviceConfigFiles(services, { CONFIG_FILE: 'config/production.yaml' })).toEqual({
      problem: expect.stringMatching(
        /^CONFIG_FILE=config\/production\.yaml is not used by the platform: .*AI_SERVICE_CONFIG_FILE, MEETING_SERVICE_CONFIG_FILE, MEDIA_SERVICE_CONFIG_FILE, SIGNALING_SERVICE_CONFIG_FILE/,
      ),
    });
    expect(serviceConfigFiles(services, { CONFIG_FILE: '' })).toHaveProperty('files');
    expect(serviceConfigFiles(services, { MEDIA_SERVICE_CONFIG_FILE: 'nowhere/media.yaml' })).toEqual({
      problem: `MEDIA_SERVICE_CONFIG_FILE=nowhere/media.yaml: no such file (${resolve(ROOT, 'nowhere/media.yaml')})`,
    });
  });
});
