import { accessSync, constants } from 'fs';
import { delimiter, join } from 'path';

/**
 * Chromium for the dashboard's browser test (driven by playwright-core, which brings no browser).
 * A missing one fails with a plain, serialisable error naming it and how to get it.
 */

export const HOW_TO_GET_CHROMIUM =
  'chromium is not installed; the dashboard browser test needs it. Debian/Ubuntu `apt-get install chromium`, ' +
  'or set CHROMIUM=/path/to/chromium-or-chrome. .ci/run installs it.';

export class ChromiumMissingError extends Error {
  constructor(tried: string[]) {
    super(`${HOW_TO_GET_CHROMIUM} (tried: ${tried.join(', ')})`);
    this.name = 'ChromiumMissingError';
  }
}

/** The Chromium executable: `CHROMIUM`, else `chromium` on PATH, else /usr/bin/chromium. @throws ChromiumMissingError */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM;
  const candidates = given
    ? [given]
    : [
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, 'chromium')),
        '/usr/bin/chromium',
      ];
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next candidate
    }
  }
  throw new ChromiumMissingError(given ? [given] : ['chromium on PATH', '/usr/bin/chromium']);
}
