/**
 * Account names as people say them: an id ("DU1000002"), a label ("THK Enterprises", "THK") or a type
 * ("roth", "personal", "business", "ira"). Pure. A name that matches more than one account, or none, is
 * an error that lists the accounts, never a guess.
 */
import type { AccountConfig, AccountType } from '../domain/types.js';
import { isIraType } from '../domain/types.js';
import { ToolError } from './tool-def.js';

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

const TYPE_WORDS: Readonly<Record<string, readonly AccountType[]>> = {
  roth: ['ROTH_IRA'],
  rothira: ['ROTH_IRA'],
  traditional: ['TRADITIONAL_IRA'],
  traditionalira: ['TRADITIONAL_IRA'],
  ira: ['ROTH_IRA', 'TRADITIONAL_IRA'],
  retirement: ['ROTH_IRA', 'TRADITIONAL_IRA'],
  personal: ['PERSONAL'],
  individual: ['PERSONAL'],
  business: ['BUSINESS'],
  corporate: ['BUSINESS'],
  corporation: ['BUSINESS'],
};

/** One sentence listing the declared accounts, for error messages. */
export function describeAccounts(accounts: readonly AccountConfig[]): string {
  return accounts.map((a) => `${a.id} (${a.type}${a.label ? `, "${a.label}"` : ''})`).join(', ');
}

function matches(name: string, accounts: readonly AccountConfig[]): AccountConfig[] {
  const n = norm(name);
  if (n === '') return [];
  const byId = accounts.filter((a) => norm(a.id) === n);
  if (byId.length) return byId;
  const byLabel = accounts.filter((a) => a.label !== undefined && norm(a.label) === n);
  if (byLabel.length) return byLabel;
  const types = TYPE_WORDS[n] ?? accounts.filter((a) => norm(a.type) === n).map((a) => a.type);
  const byType = accounts.filter((a) => types.includes(a.type));
  if (byType.length) return byType;
  // a word or the start of a label: "THK" for "THK Enterprises"
  return accounts.filter((a) => a.label !== undefined && (a.label.toLowerCase().split(/[^a-z0-9]+/).includes(name.toLowerCase()) || norm(a.label).startsWith(n)));
}

/**
 * Resolve one account name against the declared accounts. `linked` (ids the broker reports) lets an
 * undeclared linked account be named by its id for reads. Throws ToolError when ambiguous or unknown.
 */
export function resolveAccount(name: string, accounts: readonly AccountConfig[], linked: readonly string[] = []): { id: string; config?: AccountConfig } {
  const found = matches(name, accounts);
  if (found.length === 1) return { id: found[0]!.id, config: found[0]! };
  if (found.length > 1) {
    throw new ToolError(`account "${name}" matches ${found.length} accounts: ${describeAccounts(found)}; name one by its id or label`);
  }
  const undeclared = linked.find((id) => norm(id) === norm(name));
  if (undeclared) return { id: undeclared };
  throw new ToolError(`no account matches "${name}"; the accounts are: ${describeAccounts(accounts)}`);
}

/** The account type a tool reports: the declared type, else UNKNOWN (an undeclared linked account). */
export const accountTypeOf = (id: string, accounts: readonly AccountConfig[]): AccountType | 'UNKNOWN' =>
  accounts.find((a) => a.id === id)?.type ?? 'UNKNOWN';

/** The IRA rules apply to this account (declared IRA type, or the broker says IRA). */
export function isIra(id: string, accounts: readonly AccountConfig[], brokerType?: string): boolean {
  const t = accounts.find((a) => a.id === id)?.type;
  if (t !== undefined && isIraType(t)) return true;
  return brokerType !== undefined && /IRA/i.test(brokerType);
}
