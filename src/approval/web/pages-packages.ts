// The owners' pages: the packages a user maintains, and one package's approval groups (members,
// required counts, invites) and security notices. Every change is a form that app.js confirms with a
// fresh WebAuthn assertion; nothing here acts by itself.
import { html, type Html } from './html.js';
import { layout, list, PREFIX, type PageUser } from './pages.js';
import type { PackageGroupView, PackageView } from './services.js';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'];

/** What the page says after a change (the `done` query parameter; anything else is ignored). */
export const DONE: Record<string, string> = {
  'create-group': 'Group created.',
  'set-required': 'Required approvals changed.',
  'remove-member': 'Member removed.',
  'post-notice': 'Notice posted and signed by the registry.',
};

export const packagePath = (name: string) => `${PREFIX}/packages/${encodeURIComponent(name)}`;

export function packagesPage(user: PageUser, names: string[]): Html {
  return layout('Your packages', user, html`<h1>Your packages</h1>
<p>The packages you maintain on this registry. Open one to manage its approval groups, invite coworkers and post security notices.</p>
${list(names.map((n) => html`<a href="${packagePath(n)}" class="mono">${n}</a>`), 'You maintain no package here yet: publish one, or ask its owners to add you with npm owner add.')}`);
}

/** A form app.js turns into a confirmed action: its fields, plus `kind`, become the action sent. */
function manageForm(kind: string, fields: Record<string, string>, content: Html, confirm?: string): Html {
  return html`<form class="manage" data-kind="${kind}"${confirm ? html` data-confirm="${confirm}"` : ''}>
${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}${content}</form>`;
}

function shortNote(g: PackageGroupView): Html {
  if (g.missing === 0) return html``;
  return html`<p class="notice error">${g.name} cannot reach its count: its members can fill ${g.required - g.missing} of ${g.required} places (one person counts once, in one group). No version can be approved until someone joins or the count is lowered.</p>`;
}

function member(g: PackageGroupView, m: PackageGroupView['members'][number]): Html {
  if (!g.mayManage) return html`<li>${m.user}</li>`;
  const warning = m.removalLeavesShort
    ? `Removing ${m.user} leaves ${g.name} (or another group of this package) unable to reach its required approvals: no version could be approved until someone joins or the count is lowered. Remove anyway?`
    : undefined;
  return html`<li>${m.user} ${manageForm('remove-member', { groupId: g.id, user: m.user }, html`<button type="submit" class="danger small">Remove</button>`, warning)}</li>`;
}

function group(g: PackageGroupView, packageName: string): Html {
  const where = g.scope === packageName ? html`this package` : html`every package of <span class="mono">${g.scope}</span>`;
  const manage = g.mayManage ? html`<div class="actions">
${manageForm('set-required', { groupId: g.id }, html`<label>Required approvals <input type="number" name="required" min="1" max="100" value="${g.required}"></label> <button type="submit">Change</button>`)}
${manageForm('invite', { groupId: g.id }, html`<button type="submit" id="invite-${g.id}">Create an invite link</button>`)}
<label class="invite-link" hidden>One-time invite link (7 days; whoever opens it joins, so send it privately) <input type="text" readonly id="invite-link-${g.id}"></label>
</div>` : '';
  return html`<section class="group" id="group-${g.id}">
<h3>${g.name} <span class="dim">(${where}; ${g.required} approval${g.required === 1 ? '' : 's'} required)</span></h3>
${shortNote(g)}
<ul>${g.members.length ? g.members.map((m) => member(g, m)) : html`<li>No members yet.</li>`}</ul>
${manage}
</section>`;
}

function createGroup(view: PackageView): Html {
  if (!view.owner) return html``;
  return html`<h3>Create a group</h3>
${manageForm('create-group', {}, html`<label>Name <input type="text" name="name" id="group-name" maxlength="64" required></label>
<label>Required approvals <input type="number" name="required" id="group-required" min="1" max="100" value="1"></label>
<label>Applies to <select name="scope" id="group-scope"><option value="${view.name}">this package</option>${view.ownedScope ? html`<option value="${view.ownedScope}">every package of ${view.ownedScope}</option>` : ''}</select></label>
<button type="submit" class="primary" id="create-group">Create with my device</button>`)}`;
}

function notices(view: PackageView): Html {
  const posted = view.notices.map((n) => html`<article class="security-notice">
<h3><span class="severity">${n.severity}</span> ${n.title}</h3>
<p class="dim">${view.name}@${n.version}, by ${n.author}, ${n.createdAt}</p>
${n.body ? html`<pre>${n.body}</pre>` : ''}
</article>`);
  const form = view.owner && view.versions.length ? html`<h3>Post a notice</h3>
<p>Tell the users of one version what is wrong with it. The registry signs the notice with its key; <code>packsec status</code> shows it to everyone who has that version installed.</p>
${manageForm('post-notice', {}, html`<label>Version <select name="version" id="notice-version">${view.versions.map((v) => html`<option value="${v}">${v}</option>`)}</select></label>
<label>Severity <select name="severity" id="notice-severity">${SEVERITIES.map((s) => html`<option value="${s}">${s}</option>`)}</select></label>
<label>Title (one line) <input type="text" name="title" id="notice-title" maxlength="200" required></label>
<label>What users should know and do <textarea name="body" id="notice-body" rows="6" maxlength="10000"></textarea></label>
<button type="submit" class="primary" id="post-notice">Sign and post with my device</button>`)}` : '';
  return html`<h2>Security notices</h2>
${posted.length ? posted : html`<p>No notices.</p>`}
${form}`;
}

export function packagePage(user: PageUser, view: PackageView, done: string | null): Html {
  const role = view.owner
    ? html`<p>You are an owner. Each change below is confirmed with your registered device, as an approval is.</p>`
    : html`<p>You take part in this package's approvals; its owners manage the groups.</p>`;
  return layout(view.name, user, html`<h1 class="mono" data-package="${view.name}" id="package">${view.name}</h1>
${done ? html`<p class="notice">${DONE[done]}</p>` : ''}
<p>Owners: ${view.owners.join(', ') || '—'}</p>
${role}
<h2>Approval groups</h2>
<p>A new version becomes public when every group has its approvals; one person counts once, in one group.</p>
${view.groups.length ? view.groups.map((g) => group(g, view.name)) : html`<p>No groups yet: the first publish makes the group <em>maintainers</em>.</p>`}
${createGroup(view)}
${notices(view)}`);
}
