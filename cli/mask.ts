/** Fields that are not contact values, shown as they are: an account's name, a country code. */
export const NOT_SECRET: ReadonlySet<string> = new Set(['AccountName', 'CountryCode']);

/**
 * A contact value as the tools show it by default: the first letter of each word, the domain of an
 * e-mail address, the last two digits of a phone number. Enough to tell values apart, never the value.
 */
export function mask(value: string | undefined): string {
  if (value === undefined) return '—';
  const email = /^([^@]*)@(.*)$/.exec(value);
  if (email) return `${email[1].charAt(0)}${'*'.repeat(Math.max(0, email[1].length - 1))}@${email[2]}`;
  if (/^[+\d\s()-]+$/.test(value)) return value.replace(/\d(?=(?:\D*\d){2})/g, '*');
  return value.split(' ').map(word => `${word.charAt(0)}${'*'.repeat(Math.max(0, word.length - 1))}`).join(' ');
}
