import { z } from 'zod';

/**
 * Validation messages in Italian, like every other message Cassa gives to gestionali and
 * operators ("Troppo grande: string deve avere <=140 caratteri" rather than zod's English).
 * Imported for its effect by the modules that validate input with zod.
 */
z.config(z.locales.it());
