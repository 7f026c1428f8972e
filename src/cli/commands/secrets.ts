/**
 * `ibkr-exec secrets set|get|delete|list [NAME]` (CONTRACT §6, docs/secrets.md): the deployment's secrets
 * in the OS credential store.
 *
 * - `set NAME` reads the value from standard input (never argv; on a terminal it asks without echo) and
 *   stores it in the credential store, or with `--to state-dir` in a 0600 file in the state directory
 *   (the keys and tokens that have one), for hosts without a credential store.
 * - `get NAME` prints the value the daemon would use (the first source of the resolution order) and
 *   says on stderr where it came from. It refuses to print to a terminal unless `--reveal` is given,
 *   so a value does not end up in a scrollback or a screen share; piping (`| ssh …`, `> file`) works.
 * - `delete NAME` removes the credential store entry.
 * - `list` shows every known name and where it resolves from; never a value.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { keyringAvailable, keyringDelete, keyringNames, keyringService, keyringSet, keyringUnavailableReason } from '../../infra/keyring.js';
import { writeSecretFile } from '../../infra/secret-sources.js';
import { isSecretName, resolveSecret, SECRET_ENV, SECRET_NAMES, setSecretsLogger, stateFileOf, type SecretName } from '../../infra/secrets.js';
import { cliConfig, globalOptions } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';
import { readSecretInput } from './secret-input.js';

function secretName(s: string): SecretName {
  if (!isSecretName(s)) throw new CliError(`unknown secret "${s}": expected one of ${SECRET_NAMES.join(', ')}`, 2);
  return s;
}

function verboseLogger(cmd: Command): void {
  if (globalOptions(cmd).verbose) {
    setSecretsLogger({ debug: (obj, msg) => process.stderr.write(`ibkr-exec: debug: ${msg ?? ''} ${JSON.stringify(obj)}\n`) });
  }
}

function requireKeyring(env: NodeJS.ProcessEnv, name: SecretName): void {
  if (keyringAvailable(env)) return;
  const alt = stateFileOf(name, '/') !== undefined ? ' or "--to state-dir"' : '';
  throw new CliError(
    `the OS credential store is not available (${keyringUnavailableReason(env) ?? 'unknown'}); use systemd credentials, ${SECRET_ENV[name]}_FILE (a 0600 file)${alt} instead — docs/secrets.md`,
    2,
  );
}

/** A credential store call, its failure as one sentence (the store's messages never hold a value). */
function storeCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new CliError(`the OS credential store: ${(e as Error).message}`, 1);
  }
}

async function setAction(nameArg: string, opts: { to: string }, cmd: Command): Promise<void> {
  verboseLogger(cmd);
  const name = secretName(nameArg);
  if (opts.to !== 'keyring' && opts.to !== 'state-dir') throw new CliError(`--to: expected "keyring" or "state-dir", got "${opts.to}"`, 2);
  const value = await readSecretInput(`value for ${name} (not echoed): `);
  if (opts.to === 'state-dir') {
    const file = stateFileOf(name, cliConfig(cmd).stateDir);
    if (file === undefined) throw new CliError(`--to state-dir: ${name} has no file in the state directory; use the credential store, systemd credentials or ${SECRET_ENV[name]}_FILE`, 2);
    if (existsSync(file)) throw new CliError(`${file} exists; remove it first (a key that changes makes what it signed unverifiable)`, 1);
    writeSecretFile(name, file, value);
    process.stdout.write(`${name} stored in ${file} (0600)\n`);
    return;
  }
  requireKeyring(process.env, name);
  storeCall(() => keyringSet(process.env, name, value));
  process.stdout.write(`${name} stored in the OS credential store (service ${keyringService(process.env)})\n`);
}

function getAction(nameArg: string, opts: { reveal?: boolean }, cmd: Command): void {
  verboseLogger(cmd);
  const name = secretName(nameArg);
  const r = resolveSecret(name, { env: process.env, stateDir: cliConfig(cmd).stateDir });
  if (r === undefined) throw new CliError(`${name} is not set in any source (credential store, CREDENTIALS_DIRECTORY, ${SECRET_ENV[name]}_FILE, ${SECRET_ENV[name]})`, 1);
  if (process.stdout.isTTY && opts.reveal !== true) {
    throw new CliError(`${name} is set (${r.location}); refusing to print it to a terminal: pipe it, or add --reveal`, 2);
  }
  process.stderr.write(`ibkr-exec: ${name} from ${r.location}\n`);
  process.stdout.write(r.value + (process.stdout.isTTY ? '\n' : ''));
}

function deleteAction(nameArg: string, _o: unknown, cmd: Command): void {
  verboseLogger(cmd);
  const name = secretName(nameArg);
  requireKeyring(process.env, name);
  const removed = storeCall(() => keyringDelete(process.env, name));
  process.stdout.write(removed ? `${name} removed from the OS credential store\n` : `${name} was not in the OS credential store\n`);
  if (!removed) process.exitCode = 1;
}

function listAction(_o: unknown, cmd: Command): void {
  verboseLogger(cmd);
  const config = cliConfig(cmd);
  const rows = SECRET_NAMES.map((name) => {
    let where: string;
    try {
      where = resolveSecret(name, { env: process.env, stateDir: config.stateDir })?.location ?? 'not set';
    } catch (e) {
      where = `error: ${(e as Error).message}`;
    }
    return { name, where };
  });
  const store = keyringAvailable(process.env) ? `available (service ${keyringService(process.env)})` : `unavailable: ${keyringUnavailableReason(process.env) ?? ''}`;
  const unknown = keyringNames(process.env).filter((n) => !isSecretName(n));
  if (globalOptions(cmd).json) return printJson({ credentialStore: store, secrets: rows, otherEntries: unknown });
  process.stdout.write(`OS credential store: ${store}\n` + formatTable(['secret', 'resolves from'], rows.map((r) => [r.name, r.where])) + '\n');
  if (unknown.length > 0) process.stdout.write(`other entries under the service: ${unknown.join(', ')}\n`);
}

/** Registers `secrets set|get|delete|list`. */
export function registerSecretsCommands(program: Command): void {
  const s = program.command('secrets').description('the deployment\'s secrets in the OS credential store (docs/secrets.md)');
  s.command('set <name>')
    .description('store a secret read from standard input (never from the command line)')
    .option('--to <store>', 'keyring (the OS credential store) or state-dir (a 0600 file, keys and tokens only)', 'keyring')
    .action(setAction);
  s.command('get <name>')
    .description('print the value the daemon would use; refuses a terminal without --reveal')
    .option('--reveal', 'print even when standard output is a terminal')
    .action(getAction);
  s.command('delete <name>').description('remove a secret from the OS credential store').action(deleteAction);
  s.command('list').description('every secret name and where it resolves from (never a value)').action(listAction);
}
