// The page npm's web-auth flow opens (authUrl). With the approval gateway on, /-/approve is the approver
// web UI (src/approval/web); without it, a plain read-only page of what a stage request would make public.
import type { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import type { C, Env } from '../http.js';
import { findStaged, stageIdParam } from './stage.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(c: C, status: 200 | 404, title: string, rows: [string, string][], note: string): Response {
  const table = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>
${table ? `<table>\n${table}\n</table>` : ''}
<p>${escapeHtml(note)}</p></body></html>\n`;
  // Nothing on this page runs or loads anything.
  return c.html(html, status, { 'content-security-policy': "default-src 'none'", 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
}

async function approvalPage(c: C, ctx: ServerContext): Promise<Response> {
  const staged = await findStaged(ctx, stageIdParam(c));
  if (!staged) return page(c, 404, 'No such approval request', [], 'It may have been approved or rejected already, or the link is wrong.');
  const v = staged.record.versions[staged.version]!;
  return page(c, 200, `Approve ${staged.record.name}@${staged.version}?`, [
    ['package', staged.record.name],
    ['version', staged.version],
    ['dist-tag once public', v.tag ?? 'latest'],
    ['published by', v.npmUser.name],
    ['uploaded at', v.uploadedAt],
    ['integrity', v.integrity],
    ['shasum', v.shasum],
    ['files', `${v.fileCount} (${v.unpackedSize} bytes unpacked)`],
    ['request', staged.id],
  ], 'Approving makes exactly this tarball installable. Every approval group of the package must approve it with a registered device (WebAuthn); any approver may reject it.');
}

export function approvePageRoutes(app: Hono<Env>, ctx: ServerContext): void {
  const ui = (c: C, next: () => Promise<void>) => (ctx.web ? ctx.web.handle(c) : next());
  app.all('/-/approve', ui);
  app.all('/-/approve/*', ui);
  app.get('/-/approve/:id', (c) => approvalPage(c, ctx));
}
