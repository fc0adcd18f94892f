import type { NoticeLanguage } from './notice-document.js';

/**
 * The printed words of a payment notice in the five languages Cassa prints (Italian and the second
 * languages of bilingual regions, as GovPay offers them). Italian follows pagoPA's guideline
 * (Avviso di pagamento v3); the others are Cassa's translations. `{n}` and `{total}` are filled by
 * `fillLabel`.
 */
export interface NoticeLabels {
  noticeTitle: string;
  creditor: string;
  recipient: string;
  fiscalCode: string;
  howMuchWhen: string;
  /** Before a due date: "entro il 31/03/2025". */
  by: string;
  noDueDate: string;
  /** After the single solution's amount: "oppure in 3 rate". */
  orInInstalments: string;
  /** A document without single solution. */
  payInInstalments: string;
  payOnceOrInInstalments: string;
  amountUpdateNote: string;
  whereToPay: string;
  channelsList: string;
  payOnlineTitle: string;
  payOnlineText: string;
  payPhysicalTitle: string;
  payPhysicalText: string;
  usePortion: string;
  banksBand: string;
  banksText: string;
  cbill: string;
  noticeCode: string;
  creditorFiscalCode: string;
  subject: string;
  recipientShort: string;
  creditorShort: string;
  postalBand: string;
  postalText: string;
  postalAccount: string;
  postalHolder: string;
  postalType: string;
  postalAuthorisation: string;
  singleSolution: string;
  instalmentOf: string;
  amount: string;
  qrAlt: string;
  dataMatrixAlt: string;
  logoAlt: string;
}

const it: NoticeLabels = {
  noticeTitle: 'AVVISO DI PAGAMENTO',
  creditor: 'ENTE CREDITORE',
  recipient: 'DESTINATARIO AVVISO',
  fiscalCode: 'Cod. Fiscale',
  howMuchWhen: 'QUANTO E QUANDO PAGARE?',
  by: 'entro il',
  noDueDate: 'senza scadenza',
  orInInstalments: 'oppure in {n} rate',
  payInInstalments: 'Puoi pagare in {n} rate',
  payOnceOrInInstalments: "Puoi pagare in un'unica soluzione o in {n} rate",
  amountUpdateNote:
    "L'importo è aggiornato automaticamente dal sistema e potrebbe subire variazioni per eventuali sgravi, note di credito, indennità di mora, sanzioni o interessi. Il sito, l'app o l'operatore potrebbero quindi chiederti una cifra diversa da quella qui indicata.",
  whereToPay: 'DOVE PAGARE?',
  channelsList: 'Lista dei canali di pagamento su www.pagopa.gov.it',
  payOnlineTitle: 'PAGA CON PAGOPA',
  payOnlineText:
    "sul sito o con l'app del tuo Ente, della tua Banca o degli altri canali di pagamento. Potrai pagare con carte, conto corrente, CBILL.",
  payPhysicalTitle: 'PAGA SUL TERRITORIO',
  payPhysicalText:
    'presso Banche e Sportelli ATM, punti vendita di SISAL, Lottomatica e Banca 5 e negli Uffici Postali. Potrai pagare in contanti, con carte o conto corrente.',
  usePortion: 'Utilizza la porzione di avviso relativa al canale di pagamento che preferisci.',
  banksBand: 'BANCHE E ALTRI CANALI',
  banksText:
    'Qui accanto trovi il codice QR e il codice interbancario CBILL per pagare attraverso il circuito bancario e gli altri canali di pagamento abilitati.',
  cbill: 'Codice CBILL',
  noticeCode: 'Codice Avviso',
  creditorFiscalCode: 'Cod. Fiscale Ente Creditore',
  subject: 'Oggetto del pagamento',
  recipientShort: 'Destinatario',
  creditorShort: 'Ente Creditore',
  postalBand: 'BOLLETTINO POSTALE PA',
  postalText:
    "Bollettino Postale pagabile in tutti gli Uffici Postali e sui canali fisici o digitali abilitati di Poste Italiane e dell'Ente Creditore",
  postalAccount: 'sul C/C n.',
  postalHolder: 'Intestato a',
  postalType: 'Tipo',
  postalAuthorisation: 'AUT.',
  singleSolution: 'RATA UNICA',
  instalmentOf: 'RATA {n} di {total}',
  amount: 'Importo',
  qrAlt: 'Codice QR pagoPA del codice avviso {n}',
  dataMatrixAlt: 'Codice DataMatrix di Poste Italiane del codice avviso {n}',
  logoAlt: "Logo dell'ente creditore",
};

const de: NoticeLabels = {
  noticeTitle: 'ZAHLUNGSAUFFORDERUNG',
  creditor: 'GLÄUBIGER',
  recipient: 'EMPFÄNGER',
  fiscalCode: 'Steuernummer',
  howMuchWhen: 'WIE VIEL UND WANN ZAHLEN?',
  by: 'bis zum',
  noDueDate: 'ohne Fälligkeit',
  orInInstalments: 'oder in {n} Raten',
  payInInstalments: 'Sie können in {n} Raten zahlen',
  payOnceOrInInstalments: 'Sie können auf einmal oder in {n} Raten zahlen',
  amountUpdateNote:
    'Der Betrag wird vom System automatisch aktualisiert und kann sich durch Ermäßigungen, Gutschriften, Verzugszinsen, Strafen oder Zinsen ändern. Die Website, die App oder der Schalter können daher einen anderen Betrag verlangen.',
  whereToPay: 'WO ZAHLEN?',
  channelsList: 'Liste der Zahlungskanäle auf www.pagopa.gov.it',
  payOnlineTitle: 'MIT PAGOPA ZAHLEN',
  payOnlineText:
    'auf der Website oder mit der App Ihrer Körperschaft, Ihrer Bank oder der anderen Zahlungskanäle. Sie können mit Karte, Konto oder CBILL zahlen.',
  payPhysicalTitle: 'VOR ORT ZAHLEN',
  payPhysicalText:
    'bei Banken und Geldautomaten, in den Verkaufsstellen von SISAL, Lottomatica und Banca 5 und in den Postämtern. Sie können bar, mit Karte oder vom Konto zahlen.',
  usePortion: 'Verwenden Sie den Abschnitt für den Zahlungskanal, den Sie bevorzugen.',
  banksBand: 'BANKEN UND ANDERE KANÄLE',
  banksText:
    'Daneben finden Sie den QR-Code und den Interbankencode CBILL, um über die Banken und die anderen zugelassenen Zahlungskanäle zu zahlen.',
  cbill: 'CBILL-Code',
  noticeCode: 'Zahlungscode',
  creditorFiscalCode: 'Steuernummer des Gläubigers',
  subject: 'Zahlungsgrund',
  recipientShort: 'Empfänger',
  creditorShort: 'Gläubiger',
  postalBand: 'POSTERLAGSCHEIN PA',
  postalText:
    'Zahlbar in allen Postämtern und über die physischen oder digitalen Kanäle der Poste Italiane und des Gläubigers',
  postalAccount: 'auf K/K Nr.',
  postalHolder: 'Lautend auf',
  postalType: 'Typ',
  postalAuthorisation: 'AUT.',
  singleSolution: 'EINMALZAHLUNG',
  instalmentOf: 'RATE {n} von {total}',
  amount: 'Betrag',
  qrAlt: 'pagoPA-QR-Code des Zahlungscodes {n}',
  dataMatrixAlt: 'DataMatrix-Code der Poste Italiane des Zahlungscodes {n}',
  logoAlt: 'Logo des Gläubigers',
};

const fr: NoticeLabels = {
  noticeTitle: 'AVIS DE PAIEMENT',
  creditor: 'ORGANISME CRÉANCIER',
  recipient: "DESTINATAIRE DE L'AVIS",
  fiscalCode: 'Code fiscal',
  howMuchWhen: 'COMBIEN ET QUAND PAYER ?',
  by: 'avant le',
  noDueDate: 'sans échéance',
  orInInstalments: 'ou en {n} versements',
  payInInstalments: 'Vous pouvez payer en {n} versements',
  payOnceOrInInstalments: 'Vous pouvez payer en une seule fois ou en {n} versements',
  amountUpdateNote:
    "Le montant est mis à jour automatiquement et peut varier en raison d'éventuels dégrèvements, avoirs, pénalités de retard, sanctions ou intérêts. Le site, l'application ou le guichet peuvent donc vous demander un montant différent.",
  whereToPay: 'OÙ PAYER ?',
  channelsList: 'Liste des canaux de paiement sur www.pagopa.gov.it',
  payOnlineTitle: 'PAYEZ AVEC PAGOPA',
  payOnlineText:
    "sur le site ou avec l'application de votre organisme, de votre banque ou des autres canaux de paiement. Vous pourrez payer par carte, compte courant, CBILL.",
  payPhysicalTitle: 'PAYEZ PRÈS DE CHEZ VOUS',
  payPhysicalText:
    'dans les banques et aux distributeurs, dans les points de vente SISAL, Lottomatica et Banca 5 et dans les bureaux de poste. Vous pourrez payer en espèces, par carte ou par compte.',
  usePortion: "Utilisez la partie de l'avis du canal de paiement que vous préférez.",
  banksBand: 'BANQUES ET AUTRES CANAUX',
  banksText:
    'Ci-contre, le code QR et le code interbancaire CBILL pour payer par le circuit bancaire et les autres canaux de paiement habilités.',
  cbill: 'Code CBILL',
  noticeCode: "Code de l'avis",
  creditorFiscalCode: 'Code fiscal du créancier',
  subject: 'Objet du paiement',
  recipientShort: 'Destinataire',
  creditorShort: 'Créancier',
  postalBand: 'BULLETIN POSTAL PA',
  postalText:
    'Bulletin postal payable dans tous les bureaux de poste et sur les canaux physiques ou numériques de Poste Italiane et du créancier',
  postalAccount: 'sur le C/C n°',
  postalHolder: 'Au nom de',
  postalType: 'Type',
  postalAuthorisation: 'AUT.',
  singleSolution: 'PAIEMENT UNIQUE',
  instalmentOf: 'VERSEMENT {n} sur {total}',
  amount: 'Montant',
  qrAlt: "Code QR pagoPA de l'avis {n}",
  dataMatrixAlt: "Code DataMatrix de Poste Italiane de l'avis {n}",
  logoAlt: "Logo de l'organisme créancier",
};

const sl: NoticeLabels = {
  noticeTitle: 'OBVESTILO O PLAČILU',
  creditor: 'UPNIK',
  recipient: 'PREJEMNIK OBVESTILA',
  fiscalCode: 'Davčna številka',
  howMuchWhen: 'KOLIKO IN KDAJ PLAČATI?',
  by: 'do',
  noDueDate: 'brez roka plačila',
  orInInstalments: 'ali v {n} obrokih',
  payInInstalments: 'Plačate lahko v {n} obrokih',
  payOnceOrInInstalments: 'Plačate lahko v enkratnem znesku ali v {n} obrokih',
  amountUpdateNote:
    'Znesek se samodejno posodablja in se lahko spremeni zaradi morebitnih olajšav, dobropisov, zamudnih obresti, kazni ali obresti. Spletna stran, aplikacija ali okence lahko zato zahtevajo drugačen znesek.',
  whereToPay: 'KJE PLAČATI?',
  channelsList: 'Seznam plačilnih poti na www.pagopa.gov.it',
  payOnlineTitle: 'PLAČAJTE S PAGOPA',
  payOnlineText:
    'na spletni strani ali z aplikacijo vašega upnika, vaše banke ali drugih plačilnih poti. Plačate lahko s kartico, z računom ali prek CBILL.',
  payPhysicalTitle: 'PLAČAJTE NA PRODAJNIH MESTIH',
  payPhysicalText:
    'v bankah in na bankomatih, na prodajnih mestih SISAL, Lottomatica in Banca 5 ter na poštah. Plačate lahko z gotovino, s kartico ali z računom.',
  usePortion: 'Uporabite del obvestila za plačilno pot, ki jo izberete.',
  banksBand: 'BANKE IN DRUGE POTI',
  banksText:
    'Ob strani sta koda QR in medbančna koda CBILL za plačilo prek bank in drugih omogočenih plačilnih poti.',
  cbill: 'Koda CBILL',
  noticeCode: 'Koda obvestila',
  creditorFiscalCode: 'Davčna številka upnika',
  subject: 'Namen plačila',
  recipientShort: 'Prejemnik',
  creditorShort: 'Upnik',
  postalBand: 'POŠTNA POLOŽNICA PA',
  postalText:
    'Položnica, plačljiva na vseh poštah in na omogočenih fizičnih ali digitalnih poteh Poste Italiane in upnika',
  postalAccount: 'na TR št.',
  postalHolder: 'Imetnik',
  postalType: 'Vrsta',
  postalAuthorisation: 'AUT.',
  singleSolution: 'ENKRATNO PLAČILO',
  instalmentOf: 'OBROK {n} od {total}',
  amount: 'Znesek',
  qrAlt: 'Koda QR pagoPA obvestila {n}',
  dataMatrixAlt: 'Koda DataMatrix Poste Italiane obvestila {n}',
  logoAlt: 'Logotip upnika',
};

const en: NoticeLabels = {
  noticeTitle: 'PAYMENT NOTICE',
  creditor: 'CREDITOR',
  recipient: 'NOTICE RECIPIENT',
  fiscalCode: 'Tax code',
  howMuchWhen: 'HOW MUCH AND WHEN TO PAY?',
  by: 'by',
  noDueDate: 'no due date',
  orInInstalments: 'or in {n} instalments',
  payInInstalments: 'You can pay in {n} instalments',
  payOnceOrInInstalments: 'You can pay at once or in {n} instalments',
  amountUpdateNote:
    'The amount is updated automatically and may change because of reliefs, credit notes, late fees, penalties or interest. The website, the app or the counter may therefore ask you for a different amount.',
  whereToPay: 'WHERE TO PAY?',
  channelsList: 'List of payment channels at www.pagopa.gov.it',
  payOnlineTitle: 'PAY WITH PAGOPA',
  payOnlineText:
    'on the website or with the app of your creditor, your bank or the other payment channels. You can pay by card, bank account, CBILL.',
  payPhysicalTitle: 'PAY IN PERSON',
  payPhysicalText:
    'at banks and ATMs, at SISAL, Lottomatica and Banca 5 outlets and at post offices. You can pay in cash, by card or from your account.',
  usePortion: 'Use the part of the notice for the payment channel you prefer.',
  banksBand: 'BANKS AND OTHER CHANNELS',
  banksText:
    'Next to this text are the QR code and the CBILL interbank code to pay through banks and the other enabled payment channels.',
  cbill: 'CBILL code',
  noticeCode: 'Notice code',
  creditorFiscalCode: 'Creditor tax code',
  subject: 'Payment subject',
  recipientShort: 'Recipient',
  creditorShort: 'Creditor',
  postalBand: 'POSTAL PAYMENT SLIP PA',
  postalText:
    'Payable at every post office and on the enabled physical or digital channels of Poste Italiane and of the creditor',
  postalAccount: 'to account no.',
  postalHolder: 'Account holder',
  postalType: 'Type',
  postalAuthorisation: 'AUT.',
  singleSolution: 'SINGLE PAYMENT',
  instalmentOf: 'INSTALMENT {n} of {total}',
  amount: 'Amount',
  qrAlt: 'pagoPA QR code of notice {n}',
  dataMatrixAlt: 'Poste Italiane DataMatrix code of notice {n}',
  logoAlt: "Creditor's logo",
};

export const NOTICE_LABELS: Readonly<Record<NoticeLanguage, NoticeLabels>> = { it, de, fr, sl, en };

/** BCP 47 tags of the notice languages, for the PDF's /Lang and spans. */
export const LANGUAGE_TAGS: Readonly<Record<NoticeLanguage, string>> = {
  it: 'it-IT',
  de: 'de-DE',
  fr: 'fr-FR',
  sl: 'sl-SI',
  en: 'en-GB',
};

/** A label with its `{name}` placeholders filled. */
export function fillLabel(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
