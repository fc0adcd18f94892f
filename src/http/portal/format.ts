import { formatCents } from '../../modules/debt-positions/domain/debt-position.js';

/** An amount as the Sportello shows it, as in the manual's screens: "€ 100,00". */
export function euro(cents: number): string {
  return `€ ${formatCents(cents).replace(/\s*€$/, '')}`;
}
