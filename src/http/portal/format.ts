import { formatCents, romeToday } from '../../modules/debt-positions/domain/debt-position.js';

/** An amount as the Sportello shows it, as in the manual's screens: "€ 100,00". */
export function euro(cents: number): string {
  return `€ ${formatCents(cents).replace(/\s*€$/, '')}`;
}

/** Today in Rome, as the citizen reads it: "30/01/2019". */
export function romeDateLabel(): string {
  const [y, m, d] = romeToday().split('-');
  return `${d}/${m}/${y}`;
}

const ROME_DATE_TIME = new Intl.DateTimeFormat('it-IT', {
  timeZone: 'Europe/Rome',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** A moment as the citizen reads it: "30/01/2019, 14:05" in Rome's time. */
export function romeDateTimeLabel(d: Date): string {
  return ROME_DATE_TIME.format(d);
}
