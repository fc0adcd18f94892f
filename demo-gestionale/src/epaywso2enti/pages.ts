import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEMO_CITIZEN } from '../demo-positions.js';
import { formatCents } from '../format.js';
import type { ListeClient, ListItem } from '../liste-client.js';
import type { Views } from '../views.js';
import type { Inbox, ListRecord } from './inbox.js';
import { redirectWithNotice, takeNotice, type Notices } from '../notices.js';

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

const dateTime = new Intl.DateTimeFormat('it-IT', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Rome',
});

/** The small lista di prova: three positions of the demo citizen, with ids never used before. */
export function listaDiProva(now = new Date()): ListItem[] {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 17);
  const due = new Date(now.getTime() + 60 * 86_400_000).toISOString().slice(0, 10);
  const who = {
    codiceFiscale: DEMO_CITIZEN.codiceFiscale,
    nome: DEMO_CITIZEN.nome,
    cognome: DEMO_CITIZEN.cognome,
    dataScadenza: due,
  };
  return [
    {
      idPosizioneDebitoria: `LISTA_${stamp}_1`,
      amountCents: 300,
      causale: 'Biblioteca-Fotocopie (lista di carico di prova)',
      ...who,
    },
    {
      idPosizioneDebitoria: `LISTA_${stamp}_2`,
      amountCents: 550,
      causale: 'Biblioteca-Stampa tesi (lista di carico di prova)',
      ...who,
    },
    {
      idPosizioneDebitoria: `LISTA_${stamp}_3`,
      amountCents: 1_200,
      causale: 'Biblioteca-Corso di lettura (lista di carico di prova)',
      ...who,
    },
  ];
}

function listRow(l: ListRecord) {
  return {
    ...l,
    sentAtText: l.sentAt ? dateTime.format(l.sentAt) : '—',
    outcomeAtText: l.outcome ? dateTime.format(l.outcome.receivedAt) : '',
    positions: l.positions.map((p) => ({
      ...p,
      importo: p.amountCents === undefined ? '' : formatCents(p.amountCents),
    })),
  };
}

/** "Messaggi ricevuti" (what arrived on EPaywso2EntiService), "Liste di carico" (sent and their outcomes), the RTs. */
export function registerSoapPages(
  app: FastifyInstance,
  deps: { inbox: Inbox; views: Views; liste: ListeClient; notices: Notices },
): void {
  const { inbox, views, liste, notices } = deps;

  app.get('/messaggi', async (_req, reply) =>
    html(
      reply,
      views.render('messaggi', 'Messaggi ricevuti', {
        messages: inbox.messages().map((m) => ({ ...m, atText: dateTime.format(m.at) })),
      }),
    ),
  );

  app.get('/liste', async (req, reply) =>
    html(
      reply,
      views.render('liste', 'Liste di carico', {
        lists: inbox.allLists().map(listRow),
        message: takeNotice(req, reply, notices),
        csrf: reply.generateCsrf(),
      }),
    ),
  );

  // post/redirect/get (notices.ts): the outcome of the sending is shown by GET /liste
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the plugin's hook does not use `this` (its types call it a method)
  app.post('/liste/prova', { preHandler: app.csrfProtection }, async (req, reply) => {
    const list = await liste.inserisciListaDiCarico(listaDiProva());
    inbox.addSentList(list);
    req.log.info({ idMessaggio: list.idMessaggio, ack: list.ack?.codice }, 'lista di carico sent');
    const ok = list.ack?.codice === '000';
    return redirectWithNotice(
      reply,
      notices,
      '/liste',
      ok
        ? {
            type: 'success',
            text: `Lista ${list.idMessaggio} inviata: Cassa l'ha presa in carico (000). L'esito con IUV e codice avviso arriverà su EPaywso2EntiService.`,
          }
        : {
            type: 'danger',
            text: `Lista ${list.idMessaggio} non accettata da Cassa: ${list.ack?.codice ?? ''} ${list.ack?.messaggio ?? ''}`.trim(),
          },
    );
  });

  app.get('/rt/:id', async (req, reply) => {
    const rt = inbox.rt((req.params as { id: string }).id);
    if (!rt) return reply.code(404).type('text/plain; charset=utf-8').send('RT non ricevuta');
    return reply
      .type('application/xml; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="RT-${rt.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.xml"`,
      )
      .send(rt.xml);
  });
}
