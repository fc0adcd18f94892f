import { z } from 'zod';

/**
 * Validation messages in Italian, like every other message Cassa gives to gestionali and
 * operators ("Troppo grande: string deve avere <=140 caratteri" rather than zod's English).
 * Imported by the modules that validate input with zod (for its effect, when they use none of its schemas).
 */
z.config(z.locales.it());

/** A real calendar date, YYYY-MM-DD (not 2026-02-30, not year 0): the date columns would refuse it with a 500. */
export const isoDate = z.iso
  .date('data nel formato AAAA-MM-GG')
  .refine((s) => !s.startsWith('0000'), 'data nel formato AAAA-MM-GG');
