/**
 * Cassa's calendar is Rome's: a notice's due date, "today" for payability, the dates PiemontePAY and
 * the citizen read are all Europe/Rome calendar dates, whatever the server's time zone. Every reading
 * of an instant in Rome's time goes through this module.
 */

export const ROME_TIME_ZONE = 'Europe/Rome';

const ROME_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: ROME_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
// Rome's offset from UTC is a whole number of hours, so the date can only change on a minute boundary.
let memoMinute = Number.NaN;
let memoDate = '';

/** The Europe/Rome calendar date of an instant, as YYYY-MM-DD. */
export function romeDate(instant: Date): string {
  const minute = Math.floor(instant.getTime() / 60_000);
  if (minute !== memoMinute) {
    memoDate = ROME_DATE.format(instant);
    memoMinute = minute;
  }
  return memoDate;
}

/** Today's date in the Europe/Rome calendar, as YYYY-MM-DD. */
export function romeToday(now: Date = new Date()): string {
  return romeDate(now);
}

const ROME_PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: ROME_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** An instant as Rome's local date-time with its offset (2024-05-02T10:11:12+02:00), as PiemontePAY answers. */
export function romeDateTime(instant: Date): string {
  const parts = Object.fromEntries(ROME_PARTS.formatToParts(instant).map((x) => [x.type, x.value]));
  const local = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  const offsetMin = Math.round(
    (Date.parse(`${local}Z`) - Math.floor(instant.getTime() / 1000) * 1000) / 60_000,
  );
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A calendar date (YYYY-MM-DD) as the start of that day in Rome, with its offset. */
export function romeMidnight(day: string): string {
  // 00:00 UTC is before Rome's DST switches (01:00 UTC): it has the offset of Rome's midnight
  const offset = romeDateTime(new Date(`${day}T00:00:00Z`)).slice(19);
  return `${day}T00:00:00${offset}`;
}

/** Today in Rome, as the citizen reads it: "30/01/2019". */
export function romeDateLabel(now: Date = new Date()): string {
  const [y, m, d] = romeToday(now).split('-');
  return `${d}/${m}/${y}`;
}

const ROME_DATE_TIME_LABEL = new Intl.DateTimeFormat('it-IT', {
  timeZone: ROME_TIME_ZONE,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** A moment as the citizen reads it: "30/01/2019, 14:05" in Rome's time. */
export function romeDateTimeLabel(instant: Date): string {
  return ROME_DATE_TIME_LABEL.format(instant);
}
