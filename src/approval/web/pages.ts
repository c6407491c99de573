// The approver pages, rendered on the server: sign in, the list of requests, one request (files,
// integrity, capability diff, approve and reject), and devices. Every value goes through html``.
import type { StoredCredential } from '../webauthn.js';
import type { CapabilityReport } from './capabilities.js';
import { html, type Html, type Value } from './html.js';
import type { ApprovalRequestView } from './services.js';

export const PREFIX = '/-/approve';

export interface PageUser {
  userId: string;
  csrf: string;
  vapidPublicKey: string;
  /** Whether the gateway has the owners' package pages. */
  packages?: boolean;
}

const requestPath = (id: string) => `${PREFIX}/${encodeURIComponent(id)}`;

export function layout(title: string, user: PageUser | null, content: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · packsec approvals</title>
<link rel="stylesheet" href="${PREFIX}/static/app.css">
<script src="${PREFIX}/static/webauthn.js" defer></script>
<script src="${PREFIX}/static/app.js" defer></script>
</head>
<body data-csrf="${user?.csrf ?? ''}" data-vapid="${user?.vapidPublicKey ?? ''}">
<header><strong>packsec approvals</strong>${user ? html`
<a href="${PREFIX}/">Requests</a>${user.packages ? html` <a href="${PREFIX}/packages">Packages</a>` : ''} <a href="${PREFIX}/devices">Devices</a>
<form method="post" action="${PREFIX}/logout"><input type="hidden" name="csrf" value="${user.csrf}"><span>${user.userId}</span> <button type="submit">Sign out</button></form>` : ''}
</header>
<main>
${content}
<p id="status" role="status" aria-live="polite"></p>
</main>
</body>
</html>
`;
}

export function loginPage(options: { next?: string; error?: string }): Html {
  return layout('Sign in', null, html`<h1>Sign in</h1>
${options.error ? html`<p class="notice error">${options.error}</p>` : ''}
<form method="post" action="${PREFIX}/login">
<input type="hidden" name="next" value="${options.next ?? ''}">
<label>One-time code from your login link <input type="text" id="code" name="code" autocomplete="off"></label>
<p>or</p>
<label>Your registry token (viewing only; adding a device needs a login link) <input type="password" id="token" name="token" autocomplete="off"></label>
<button type="submit" class="primary">Sign in</button>
</form>`);
}

/** Joining an approval group with an invite link: the code rides in the fragment (#invite=…). */
export function invitePage(user: PageUser, joined?: { scope: string; group: string }): Html {
  if (joined) return layout('Joined', user, html`<h1>You joined ${joined.group}</h1>
<p>You now approve for <code>${joined.scope}</code> in the group <strong>${joined.group}</strong>. Register a device on
<a href="${PREFIX}/devices">Devices</a> if you have not yet, and turn on notifications there.</p>`);
  return layout('Join an approval group', user, html`<h1>Join an approval group</h1>
<form method="post" action="${PREFIX}/invite">
<input type="hidden" name="csrf" value="${user.csrf}">
<label>Invite code <input type="text" id="invite-code" name="code" autocomplete="off"></label>
<button type="submit" class="primary">Join as ${user.userId}</button>
</form>`);
}

export function errorPage(user: PageUser | null, title: string, message: string): Html {
  return layout(title, user, html`<h1>${title}</h1><p>${message}</p><p><a href="${PREFIX}/">Back to the requests</a></p>`);
}

function groups(request: ApprovalRequestView): Html {
  if (!request.groups.length) return html``;
  return html`<table><thead><tr><th>Group</th><th>Approvals</th><th>Approved by</th></tr></thead><tbody>${request.groups.map((g) => html`
<tr><td>${g.name}</td><td>${g.approvedBy.length} of ${g.required}</td><td>${g.approvedBy.join(', ') || '—'}</td></tr>`)}</tbody></table>`;
}

export function listPage(user: PageUser, requests: ApprovalRequestView[]): Html {
  const rows = requests.map((r) => html`
<tr><td><a href="${requestPath(r.id)}" class="mono">${r.packageName}@${r.version}</a></td><td>${r.state}</td><td>${r.publisher}</td><td>${r.createdAt}</td></tr>`);
  return layout('Requests', user, html`<h1>Approval requests</h1>
${requests.length ? html`<table><thead><tr><th>Version</th><th>State</th><th>Published by</th><th>Published</th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p>No requests for you.</p>`}
${user.packages ? html`<p>Approval groups, invites and security notices of the packages you maintain: <a href="${PREFIX}/packages" id="packages-link">your packages</a>.</p>` : ''}`);
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function list(items: Value[], empty: string): Html {
  return items.length ? html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>` : html`<p>${empty}</p>`;
}

function capabilities(report: CapabilityReport): Html {
  const against = report.previousVersion ? html`against ${report.previousVersion}` : html`(first version: everything it can do is new)`;
  const deps = report.dependencies;
  return html`<h2>Capabilities ${against}</h2>
<h3>Gained</h3>
${list(report.gained.map((g) => html`<span class="gained mono">${g.capability}</span>${g.where ? html` <span class="mono">at ${g.where}</span>` : ''}`), 'None.')}
<h3>Lost</h3>
${list(report.lost.map((l) => html`<span class="lost mono">${l}</span>`), 'None.')}
${report.scripts.length ? html`<h3>Install scripts</h3>${list(report.scripts.map((s) => html`<span class="mono">${s.event}: ${s.before ?? '(none)'} → ${s.after ?? '(none)'}</span>`), '')}` : ''}
<h3>Dependencies</h3>
${list([
    ...Object.entries(deps.added).map(([n, r]) => html`<span class="added">added</span> <span class="mono">${n} ${r}</span>`),
    ...deps.removed.map((n) => html`removed <span class="mono">${n}</span>`),
    ...Object.entries(deps.changed).map(([n, [a, b]]) => html`<span class="changed">changed</span> <span class="mono">${n} ${a} → ${b}</span>`),
  ], 'No changes.')}
${report.warnings.length ? html`<h3>Warnings</h3>${list(report.warnings, '')}` : ''}
<h3>Everything this version can do</h3>
${list(report.capabilities.map((c) => html`<span class="mono">${c}</span>`), 'Nothing: no capabilities at all.')}`;
}

function files(report: CapabilityReport): Html {
  return html`<h2>Files (${report.files.length})</h2>
<table><thead><tr><th>Path</th><th>Size</th><th>Change</th></tr></thead><tbody>${report.files.map((f) => html`
<tr><td class="mono">${f.path}</td><td>${size(f.size)}</td><td class="${f.change}">${f.change}</td></tr>`)}</tbody></table>
${report.removedFiles.length ? html`<h3>Removed files</h3>${list(report.removedFiles.map((f) => html`<span class="mono">${f}</span>`), '')}` : ''}`;
}

export function requestPage(user: PageUser, request: ApprovalRequestView, report: CapabilityReport | { error: string }): Html {
  const actions = request.state !== 'pending'
    ? html`<p>This request is ${request.state}.</p>`
    : request.mayApprove
      ? html`<div class="actions">
<button type="button" id="approve" class="primary" data-request-id="${request.id}">Approve with my device</button>
<button type="button" id="reject" class="danger" data-request-id="${request.id}">Reject with my device (the version number is burned)</button>
</div>`
      : html`<p class="notice">You cannot approve this request: ${request.whyNot ?? 'not allowed'}.</p>`;
  return layout(`${request.packageName}@${request.version}`, user, html`<h1 class="mono">${request.packageName}@${request.version}</h1>
<table>
<tr><th>State</th><td id="state">${request.state}</td></tr>
<tr><th>Published by</th><td>${request.publisher}</td></tr>
<tr><th>Published</th><td>${request.createdAt}</td></tr>
${request.expiresAt ? html`<tr><th>Expires</th><td>${request.expiresAt}</td></tr>` : ''}
${request.tag ? html`<tr><th>Tag</th><td class="mono">${request.tag}</td></tr>` : ''}
<tr><th>Tarball integrity</th><td class="mono" id="integrity">${request.integrity}</td></tr>
</table>
${groups(request)}
${actions}
${'error' in report ? html`<p class="notice error">The capability analysis is not available: ${report.error}</p>` : html`${capabilities(report)}${files(report)}`}`);
}

/** Whether this session may add a device now, must first prove an existing one, or needs a login link. */
export type RegistrationMode = 'ready' | 'step-up' | 'needs-link';

export function devicesPage(user: PageUser, credentials: StoredCredential[], mode: RegistrationMode, registered: boolean): Html {
  const add = mode === 'needs-link'
    ? html`<p class="notice">To register your first device, sign in with a one-time login link (ask an owner of your package or the gateway's operator). A registry token is not enough: whoever steals it must not be able to add a device.</p>`
    : html`<label>Name of this device <input type="text" id="device-name" value="device ${credentials.length + 1}" maxlength="64"></label>
<button type="button" id="register-device" class="primary" data-step-up="${mode === 'step-up' ? 'true' : 'false'}">Register this device</button>
${mode === 'step-up' ? html`<p>You will first confirm with a device you registered before.</p>` : ''}`;
  return layout('Devices', user, html`<h1>Your devices</h1>
${registered ? html`<p class="notice">Device registered.</p>` : ''}
${list(credentials.map((c) => html`<span class="device">${c.name}</span> <span class="mono">registered ${c.createdAt}${c.lastUsedAt ? html`, last used ${c.lastUsedAt}` : ''}</span>`), 'No devices yet.')}
<h2>Add a device</h2>
${add}
<h2>Notifications</h2>
<p>Get a push notification on this browser when a version waits for you.</p>
<button type="button" id="enable-push">Turn on notifications</button>`);
}
