// The operator's approval commands, asked of the running registry through its admin socket:
// `packsec registry login-link` (a one-time sign-in link for an approver) and `packsec registry group
// list|add|set|invite` (a package's or scope's approval groups, and invite links for coworkers).
import { adminCall, AdminError } from '../../registry/admin.js';
import type { Display } from '../display.js';
import { CliError } from '../errors.js';

export const APPROVAL_USAGE = [
  '       packsec registry login-link --data DIR --user NAME [--json]',
  '       packsec registry group list --data DIR --package NAME|@SCOPE [--json]',
  '       packsec registry group add|set --data DIR --package NAME|@SCOPE --name GROUP --required N [--as OWNER] [--json]',
  '       packsec registry group invite --data DIR --package NAME|@SCOPE --name GROUP [--as OWNER] [--json]',
].join('\n');

export const APPROVAL_OPTIONS = {
  name: { type: 'string' },
  required: { type: 'string' },
  as: { type: 'string' },
} as const;

interface GroupView {
  id: string;
  scope: string;
  name: string;
  required: number;
  members: string[];
}

export type ApprovalData =
  | { action: 'login-link'; user: string; link: string }
  | { action: 'group-list'; scope: string; groups: GroupView[] }
  | { action: 'group-add' | 'group-set'; group: GroupView }
  | { action: 'invite'; scope: string; group: string; link: string; expiresAt: string };

async function ask<T>(dataDir: string, op: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await adminCall<T>(dataDir, op, args);
  } catch (err) {
    if (err instanceof AdminError) throw new CliError(err.code === 'NOT_RUNNING' ? 'SERVER' : 'USAGE', err.message);
    throw err;
  }
}

export async function runApproval(sub: 'login-link' | 'group', dataDir: string, args: string[], option: (name: string) => string | undefined): Promise<ApprovalData> {
  const need = (name: string, what: string): string => {
    const v = option(name);
    if (v === undefined) throw new CliError('USAGE', `${what} needs --${name}`);
    return v;
  };
  if (sub === 'login-link') {
    if (args.length) throw new CliError('USAGE', `unexpected argument ${args[0]}`);
    const user = need('user', 'registry login-link');
    return { action: 'login-link', user, ...(await ask<{ link: string }>(dataDir, 'login-link', { user })) };
  }
  const [action, ...extra] = args;
  if (extra.length) throw new CliError('USAGE', `unexpected argument ${extra[0]}`);
  const what = `registry group ${action ?? ''}`.trim();
  const scope = () => need('package', what);
  const as = option('as');
  const required = (): number => {
    const text = need('required', what);
    if (!/^\d+$/.test(text)) throw new CliError('USAGE', `--required: expected a whole number, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  switch (action) {
    case 'list': {
      const s = scope();
      return { action: 'group-list', scope: s, groups: await ask<GroupView[]>(dataDir, 'group-list', { scope: s }) };
    }
    case 'add':
    case 'set': {
      const op = action === 'add' ? 'group-add' : 'group-set';
      return { action: op, group: await ask<GroupView>(dataDir, op, { scope: scope(), name: need('name', what), required: required(), ...(as ? { as } : {}) }) };
    }
    case 'invite': {
      const made = await ask<{ link: string; group: string; scope: string; expiresAt: string }>(dataDir, 'invite', { scope: scope(), name: need('name', what), ...(as ? { as } : {}) });
      return { action: 'invite', ...made };
    }
    default:
      throw new CliError('USAGE', `registry group: expected list, add, set or invite, got ${action === undefined ? 'nothing' : JSON.stringify(action)}`);
  }
}

export function printApproval(data: ApprovalData, d: Display): void {
  switch (data.action) {
    case 'login-link':
      process.stdout.write(`${data.link}\n`);
      d.info(`a one-time sign-in link for ${data.user} (valid 24 hours): give it to them privately; it lets them register a device`);
      return;
    case 'invite':
      process.stdout.write(`${data.link}\n`);
      d.info(`an invite to ${data.scope}'s group ${data.group}, valid until ${data.expiresAt}; whoever opens it signed in joins the group`);
      return;
    case 'group-list':
      if (data.groups.length === 0) d.out(`${data.scope} has no approval groups yet (its first publish makes "maintainers")`);
      for (const g of data.groups) d.out(`${g.scope}  ${g.name}  needs ${g.required}  members: ${g.members.join(', ') || '(none)'}`);
      return;
    default:
      d.out(`${data.group.scope}  ${data.group.name}  needs ${data.group.required}  members: ${data.group.members.join(', ') || '(none)'}`);
  }
}
