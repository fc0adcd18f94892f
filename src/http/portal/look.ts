import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Container } from '../../app/container.js';
import { registerEnteLogoRoute } from './ente-logo.js';
import { configureLayout } from './render.js';

/**
 * The Sportello's public-service look, set up inside the portal plugin (its CSP and error pages
 * apply): the installation's header and footer settings for sendPage, and the route of the enti's
 * logos. Wrapped with fastify-plugin so that both belong to the portal's own instance.
 */
export const portalLook = fp(
  // eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: async is how Fastify knows it is loaded (a throw becomes a registration error)
  async (app: FastifyInstance, { container }: { container: Pick<Container, 'config' | 'db'> }) => {
    configureLayout(container.config, app);
    registerEnteLogoRoute(app, container);
  },
  { name: 'cassa-portal-look', fastify: '5.x' },
);
