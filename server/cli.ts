/**
 * Operator commands against the database in DATABASE_URL: `npm run cli -- <command>`.
 * Exit codes: 0 done, 1 the command failed (unknown user, name taken, …), 2 usage error.
 * Passwords come from --password or FIELDBOARD_PASSWORD, never a prompt, so the CLI works in scripts and CI.
 */
import { randomBytes } from 'node:crypto';
import { DashboardIdSchema, parse, type DashboardId, type UserId } from '../protocol/index.ts';
import { hashPassword } from './auth/password.ts';
import { hashToken } from './auth/sessions.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

const USAGE = `Usage: npm run cli -- <command>

  add-user <name> [--password P]          create a user (or set FIELDBOARD_PASSWORD)
  set-password <name> [--password P]      change a user's password (ends all their sessions)
  revoke-sessions <name>                  end every session of a user (their sockets close)
  add-dashboard <name> --owner <user>     create a dashboard owned by <user>
  add-member <dashboardId> <user>         give <user> access to a dashboard
  list-users                              list every user
  list-dashboards                         list every dashboard and its members
  add-ingest-token (--dashboards ID[,ID…] | --all-dashboards) [--label L]
                                          create a metric ingest token (printed once) that
                                          writes to those dashboards only, or to every one

The database is DATABASE_URL (default sqlite:data/fieldboard.db).`;

class UsageError extends Error {}
class CommandError extends Error {}

interface Args {
  positional: string[];
  flags: Map<string, string>;
}

/** Options that take no value. */
const SWITCHES = new Set(['all-dashboards']);

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (SWITCHES.has(a.slice(2))) flags.set(a.slice(2), 'yes');
      else {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith('--')) throw new UsageError(`${a} needs a value`);
        flags.set(a.slice(2), value);
        i++;
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

function expect(args: Args, count: number, allowed: string[], usage: string): string[] {
  if (args.positional.length !== count) throw new UsageError(`usage: ${usage}`);
  for (const f of args.flags.keys()) if (!allowed.includes(f)) throw new UsageError(`unknown option --${f}; usage: ${usage}`);
  return args.positional;
}

function password(args: Args): string {
  const p = args.flags.get('password') ?? process.env.FIELDBOARD_PASSWORD;
  if (!p) throw new UsageError('give the password with --password P or the FIELDBOARD_PASSWORD variable');
  if (p.length < 4) throw new UsageError('the password must be at least 4 characters');
  return p;
}

async function userId(store: Store, name: string): Promise<UserId> {
  const user = await store.findUserByName(name);
  if (!user) throw new CommandError(`no user named "${name}"`);
  return user.id;
}

const sessions = (n: number) => (n === 1 ? '1 session' : `${n} sessions`);

async function run(store: Store, command: string, args: Args): Promise<void> {
  switch (command) {
    case 'add-user': {
      const [name] = expect(args, 1, ['password'], 'add-user <name> [--password P]');
      if (!/^[A-Za-z0-9_.@-]{1,100}$/.test(name)) throw new UsageError('a user name is 1-100 of A-Z a-z 0-9 _ . @ -');
      if (await store.findUserByName(name)) throw new CommandError(`user "${name}" already exists`);
      const user = await store.createUser(name, await hashPassword(password(args)));
      console.log(`created user ${user.name} (${user.id})`);
      return;
    }
    case 'set-password': {
      const [name] = expect(args, 1, ['password'], 'set-password <name> [--password P]');
      const uid = await userId(store, name);
      await store.setPassword(uid, await hashPassword(password(args)));
      // Running servers close the sockets of these sessions at their next session check.
      const revoked = await store.deleteUserSessions(uid);
      console.log(`password of ${name} changed; ${sessions(revoked)} revoked`);
      return;
    }
    case 'revoke-sessions': {
      const [name] = expect(args, 1, [], 'revoke-sessions <name>');
      const revoked = await store.deleteUserSessions(await userId(store, name));
      console.log(`revoked ${sessions(revoked)} of ${name}`);
      return;
    }
    case 'add-dashboard': {
      const [name] = expect(args, 1, ['owner'], 'add-dashboard <name> --owner <user>');
      const owner = args.flags.get('owner');
      if (!owner) throw new UsageError('usage: add-dashboard <name> --owner <user>');
      if (name.trim() === '' || name.length > 200) throw new UsageError('a dashboard name is 1-200 characters');
      const d = await store.createDashboard(name.trim(), await userId(store, owner));
      console.log(`created dashboard ${d.name} (${d.id}) owned by ${owner}`);
      return;
    }
    case 'add-member': {
      const [dashboardId, name] = expect(args, 2, [], 'add-member <dashboardId> <user>');
      const id = parse(DashboardIdSchema, dashboardId);
      if (!id.ok) throw new UsageError(`dashboardId: ${id.message}`);
      const uid = await userId(store, name);
      const known = await store.listAllDashboards();
      if (!known.some((d) => d.id === id.value)) throw new CommandError(`no dashboard ${dashboardId}`);
      await store.addMember(id.value, uid);
      console.log(`${name} is now a member of ${dashboardId}`);
      return;
    }
    case 'list-users': {
      expect(args, 0, [], 'list-users');
      for (const u of await store.listUsers()) console.log(`${u.id}\t${u.name}`);
      return;
    }
    case 'list-dashboards': {
      expect(args, 0, [], 'list-dashboards');
      for (const d of await store.listAllDashboards()) {
        console.log(`${d.id}\t${d.name}\t${d.members.join(',')}`);
      }
      return;
    }
    case 'add-ingest-token': {
      const usage = 'add-ingest-token (--dashboards ID[,ID...] | --all-dashboards) [--label L]';
      expect(args, 0, ['label', 'dashboards', 'all-dashboards'], usage);
      const listed = args.flags.get('dashboards');
      // A token that writes everywhere must be asked for: a leaked token's reach is its scope.
      if ((listed === undefined) === !args.flags.has('all-dashboards')) throw new UsageError(`usage: ${usage}`);
      let scope: 'all' | DashboardId[] = 'all';
      if (listed !== undefined) {
        scope = [];
        for (const raw of listed.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
          const id = parse(DashboardIdSchema, raw);
          if (!id.ok) throw new UsageError(`--dashboards: ${raw}: ${id.message}`);
          scope.push(id.value);
        }
        if (scope.length === 0) throw new UsageError(`usage: ${usage}`);
        const known = new Set((await store.listAllDashboards()).map((d) => d.id));
        const unknown = scope.filter((id) => !known.has(id));
        if (unknown.length > 0) throw new CommandError(`no dashboard ${unknown.join(', ')}`);
      }
      const token = `fbi_${randomBytes(24).toString('base64url')}`;
      await store.createIngestToken(hashToken(token), args.flags.get('label') ?? '', scope);
      // Only the hash is stored: this is the one time the token can be seen.
      console.log(token);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  let store: Store | null = null;
  try {
    const args = parseArgs(rest);
    const config = loadConfig();
    const opened = await openStore(config.databaseUrl);
    store = opened;
    await run(opened, command, args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`error: ${err.message}`);
      return 2;
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
