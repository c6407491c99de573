// The approver UI's static files: its stylesheet, browser script and service worker (src/approval/web/static),
// and @simplewebauthn/browser's bundle from node_modules — all served by the gateway, never from a CDN.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Uint8Array;
  type: string;
}

function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // The TypeScript build does not copy them: from build/src/approval/web back to src/approval/web.
  for (const dir of [join(here, 'static'), join(here, '..', '..', '..', '..', 'src', 'approval', 'web', 'static')]) {
    if (existsSync(join(dir, 'app.js'))) return dir;
  }
  throw new Error('packsec: the approval UI files (src/approval/web/static) are missing');
}

function webauthnBundle(): string {
  // The package's "main" is its CommonJS build; the UMD bundle sits beside it in dist/.
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js');
}

const JS = 'text/javascript; charset=utf-8';

/** Path below the UI's prefix → file, read once. */
export function loadAssets(): Map<string, Asset> {
  const dir = staticDir();
  const read = (file: string, type: string): Asset => ({ body: readFileSync(file), type });
  return new Map([
    ['static/app.css', read(join(dir, 'app.css'), 'text/css; charset=utf-8')],
    ['static/app.js', read(join(dir, 'app.js'), JS)],
    ['static/webauthn.js', read(webauthnBundle(), JS)],
    ['sw.js', read(join(dir, 'sw.js'), JS)],
  ]);
}
