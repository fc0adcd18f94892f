import { describe, expect, it } from 'vitest';
import {
  romeDate,
  romeDateLabel,
  romeDateTime,
  romeDateTimeLabel,
  romeMidnight,
  romeToday,
} from '../../src/shared/calendar.js';

describe('romeDate / romeToday', () => {
  it.each([
    ['2026-12-31T22:59:59Z', '2026-12-31'],
    ['2026-12-31T23:00:00Z', '2027-01-01'],
    ['2026-12-31T23:30:00Z', '2027-01-01'],
    ['2027-01-01T00:30:00Z', '2027-01-01'],
    ['2026-06-30T21:59:59Z', '2026-06-30'], // summer time: UTC+2
    ['2026-06-30T22:00:00Z', '2026-07-01'],
    ['2026-03-28T23:30:00Z', '2026-03-29'], // the night summer time starts
    ['2026-10-24T22:30:00Z', '2026-10-25'], // the night summer time ends
    ['2026-10-25T22:59:59Z', '2026-10-25'],
  ])('%s is %s in Rome', (instant, date) => {
    expect(romeDate(new Date(instant))).toBe(date);
    expect(romeToday(new Date(instant))).toBe(date);
  });
});

describe('romeDateTime', () => {
  it.each([
    ['2024-05-02T08:11:12Z', '2024-05-02T10:11:12+02:00'],
    ['2024-01-15T23:30:00.999Z', '2024-01-16T00:30:00+01:00'], // the milliseconds are dropped, not rounded
    ['2026-03-29T00:59:59Z', '2026-03-29T01:59:59+01:00'], // the last second of winter time
    ['2026-03-29T01:00:00Z', '2026-03-29T03:00:00+02:00'],
    ['2026-10-25T00:59:59Z', '2026-10-25T02:59:59+02:00'], // 02:xx happens twice: the offset tells which
    ['2026-10-25T01:00:00Z', '2026-10-25T02:00:00+01:00'],
  ])('%s is %s in Rome', (instant, dateTime) => {
    expect(romeDateTime(new Date(instant))).toBe(dateTime);
  });
});

describe('romeMidnight', () => {
  it.each([
    ['2026-01-01', '2026-01-01T00:00:00+01:00'],
    ['2026-07-01', '2026-07-01T00:00:00+02:00'],
    ['2026-03-29', '2026-03-29T00:00:00+01:00'], // summer time starts at 02:00, after midnight
    ['2026-10-25', '2026-10-25T00:00:00+02:00'], // winter time starts at 03:00, after midnight
  ])('%s starts at %s', (day, start) => {
    expect(romeMidnight(day)).toBe(start);
  });
});

describe('labels the citizen reads', () => {
  it("today's date as dd/mm/yyyy, in Rome's calendar", () => {
    expect(romeDateLabel(new Date('2024-01-15T23:30:00Z'))).toBe('16/01/2024');
    expect(romeDateLabel(new Date('2024-05-02T08:11:12Z'))).toBe('02/05/2024');
  });

  it("a moment as dd/mm/yyyy, hh:mm in Rome's time", () => {
    expect(romeDateTimeLabel(new Date('2024-05-02T08:11:12Z'))).toBe('02/05/2024, 10:11');
    expect(romeDateTimeLabel(new Date('2024-01-15T23:30:00Z'))).toBe('16/01/2024, 00:30');
  });
});
