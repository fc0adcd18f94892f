import type { Cart } from './checkout.js';

/** The simulated Checkout's payment page: plain HTML forms (no JavaScript), Italian, accessible. */

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function euro(cents: number): string {
  const s = String(cents).padStart(3, '0');
  const int = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${int},${s.slice(-2)} €`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#17324d;background:#f5f7fa;line-height:1.5}
header{background:#0066cc;color:#fff;padding:1rem 1.5rem}
header p{margin:.25rem 0 0}
main{max-width:48rem;margin:1.5rem auto;padding:0 1rem;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:1.5rem}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border:1px solid #c5c7c9;padding:.5rem .75rem;text-align:left;vertical-align:top}
td.amount,th.amount{text-align:right;white-space:nowrap}
.actions{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr))}
form{margin:0}
button{width:100%;font-size:1rem;padding:.75rem 1rem;border-radius:4px;border:2px solid #0066cc;cursor:pointer;background:#fff;color:#0066cc;font-weight:600}
button.primary{background:#0066cc;color:#fff}
button:focus-visible{outline:3px solid #ff9900;outline-offset:2px}
.hint{font-size:.875rem;margin:.25rem 0 0;color:#3b4a5a}
.notice{background:#fff3cd;border-left:4px solid #a66300;padding:.75rem 1rem}
@media (max-width:36rem){
header{padding:1rem}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.stack,table.stack caption,table.stack tbody,table.stack tfoot,table.stack tr,table.stack th,table.stack td{display:block}
table.stack tr{border:1px solid #c5c7c9;border-bottom:0}
table.stack tbody tr+tr,table.stack tfoot tr{margin-top:.75rem}
table.stack th,table.stack td{border:0;border-bottom:1px solid #c5c7c9;text-align:left}
table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.875rem;font-weight:600;color:#3b4a5a}
}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="it">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Checkout pagoPA simulato</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<strong>pagoPA Checkout – simulatore</strong>
<p>Ambiente di prova di Cassa: nessun pagamento reale viene eseguito.</p>
</header>
<main id="contenuto">
${body}
</main>
</body>
</html>`;
}

export function cartPage(cart: Cart): string {
  const notices = cart.request.paymentNotices;
  const total = notices.reduce((s, n) => s + n.amount, 0);
  const rows = notices
    .map(
      (n) =>
        `<tr><td data-label="Ente creditore">${esc(n.companyName)}<br><small>C.F. ente ${esc(n.fiscalCode)}</small></td><td data-label="Oggetto">${esc(n.description)}</td><td data-label="Codice avviso">${esc(n.noticeNumber)}</td><td class="amount" data-label="Importo">${euro(n.amount)}</td></tr>`,
    )
    .join('\n');
  // below 36rem (phones) the table is stacked: a block per notice, each value under its column's name
  const table = `<table class="stack">
<caption>Avvisi nel carrello (${notices.length})</caption>
<thead><tr><th scope="col">Ente creditore</th><th scope="col">Oggetto</th><th scope="col">Codice avviso</th><th scope="col" class="amount">Importo</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th scope="row" colspan="3">Totale (commissioni escluse)</th><td class="amount"><strong>${euro(total)}</strong></td></tr></tfoot>
</table>`;
  if (cart.status !== 'OPEN') {
    return layout(
      'Carrello già concluso',
      `<h1>Carrello già concluso</h1>
<p class="notice" role="status">Questo carrello è nello stato <strong>${esc(cart.status)}</strong>${cart.error ? `: ${esc(cart.error)}` : ''}.</p>
${table}
${cart.redirectedTo ? `<p><a href="${esc(cart.redirectedTo)}">Torna al sito dell'ente</a></p>` : ''}`,
    );
  }
  const button = (
    action: string,
    label: string,
    hint: string,
    primary = false,
  ) => `<form method="post" action="/checkout/carts/${esc(cart.id)}/${action}">
<button type="submit"${primary ? ' class="primary"' : ''} aria-describedby="hint-${action}">${label}</button>
<p class="hint" id="hint-${action}">${hint}</p>
</form>`;
  return layout(
    'Pagamento',
    `<h1>Paga con pagoPA</h1>
${cart.request.emailNotice ? `<p>La ricevuta sarà inviata a <strong>${esc(cart.request.emailNotice)}</strong>.</p>` : ''}
${table}
<h2>Scegli come concludere la prova</h2>
<div class="actions">
${button('pay', 'Paga', 'Il pagamento riesce: l’ente riceve la ricevuta (paSendRT).', true)}
${button('cancel', 'Annulla', 'Annulli prima di pagare: nessuna attivazione.')}
${button('fail', 'Errore', 'Il PSP rifiuta il pagamento: nessuna ricevuta.')}
${button('abandon', 'Abbandona', 'Chiudi senza concludere: il token scade.')}
</div>`,
  );
}

export function messagePage(status: number, title: string, message: string): string {
  return layout(
    title,
    `<h1>${esc(title)}</h1>\n<p class="notice" role="alert">${esc(message)}</p>\n<p>Codice HTTP ${status}.</p>`,
  );
}
