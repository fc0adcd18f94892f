import { euroFigures } from '../../shared/money.js';

/** An amount as the Sportello shows it, as in the manual's screens: "€ 100,00". */
export function euro(cents: number): string {
  return `€ ${euroFigures(cents)}`;
}
