/**
 * PiemontePAY's result codes (CodiciEsito), as its interfaces carry them: `codiceEsito` / `code` of the
 * REST API for gestionali (epayapi), `Result/Codice` of the SOAP acknowledgements and outcomes of the
 * liste di carico (Enti2EPaywsoService, EPaywso2EntiService) and the `CodiceEsito` of each position in
 * an outcome. A gestionale that already handles PiemontePAY's answers understands Cassa's: the domain
 * catalogs (debt-positions, the lists' acknowledgement, receipts) and the edges name the codes from
 * here, so each has its meaning written once. The names in quotes are PiemontePAY's own (its
 * `CodiciEsito` enumeration) where it has one.
 */
export const ESITO = {
  /** "ESECUZIONE_OK": the call, the list or the position succeeded. */
  OK: '000',
  /** A gestionale's answer to a message whose IdMessaggio it has already received. */
  MESSAGE_ALREADY_RECEIVED: '012',
  /** "ESECUZIONE_PARZIALMENTE_OK": a list with some positions refused. */
  LIST_PARTLY_DONE: '050',
  /** "ESECUZIONE_TUTTA_KO": a list with every position refused. */
  LIST_NOT_DONE: '051',
  /**
   * "CODICE_ERRORE_GENERICO": a field not valid (the description names it), credentials refused,
   * an operation Cassa does not offer, a failure of Cassa's.
   */
  GENERIC_ERROR: '100',
  /**
   * Acknowledgement: a message the WSO2 layer cannot take (not well-formed, not valid against the XSD,
   * too large, an element Cassa could not echo).
   */
  MESSAGE_INVALID: '101',
  /** Acknowledgement: CFEnteCreditore unknown. */
  ACK_ENTE_UNKNOWN: '102',
  /** Acknowledgement: CodiceVersamento unknown for the ente. */
  ACK_PAYMENT_TYPE_UNKNOWN: '103',
  /** Acknowledgement: the caller may not load lists for the ente and codice versamento. */
  ACK_NOT_AUTHORISED: '104',
  /** Acknowledgement: IdMessaggio already received from the caller. */
  DUPLICATE_MESSAGE: '112',
  /** "NUMERO_TRASMISSIONE_ERRORE": a message with this IdMessaggio already processed. */
  MESSAGE_ALREADY_PROCESSED: '150',
  /** "CF_ENTE_ERRORE": ente creditore not found. */
  ENTE_UNKNOWN: '151',
  /** The codice versamento is unknown for the ente. */
  PAYMENT_TYPE_UNKNOWN: '153',
  /** "POSIZIONE_DEBITORIE_NUMERO_ERRORE": NumeroPosizioniDebitorie differs from the positions sent. */
  COUNT_MISMATCH: '154',
  /** "POSIZIONI_DEBITORIE_IMPORTO_ERRORE": ImportoTotaleListaDiCarico differs from the positions' sum. */
  TOTAL_MISMATCH: '155',
  /** "TIPO_PAGAMENTO_NON_ATTIVO_ERRORE": the codice versamento is not active. */
  PAYMENT_TYPE_NOT_ACTIVE: '157',
  /** "CODICE_PAGAMENTO_RIF_ENTE_DUPLICATO": IdPosizioneDebitoria (or the IUV) already used. */
  DUPLICATE_POSITION: '161',
  /** "IMPORTO_OBBLIGATORIO": the amount must be greater than zero. */
  AMOUNT_NOT_POSITIVE: '163',
  /** "PAGAMENTO_NON_TROVATO_PER_POSIZIONE_DEBITORIA": no such position. */
  POSITION_NOT_FOUND: '176',
  /** "PAGAMENTO_IN_ATTESA": the position is being paid. */
  PAYMENT_IN_PROGRESS: '177',
  /** "PAGAMENTO_GIA_EFFETTUATO": the position is paid. */
  ALREADY_PAID: '178',
  /** "PAGAMENTO_GIA_ANNULLATO": the position is cancelled. */
  ALREADY_CANCELLED: '179',
  /** "TROPPI_DETTAGLI_PAGAMENTO": more than 5 components. */
  TOO_MANY_COMPONENTS: '183',
  /** "ERRORE_TOTALE_IMPORTO_COMPONENTI": the components do not add up to the total. */
  COMPONENTS_NOT_MATCHING_TOTAL: '184',
  /** "ERRORE_DATE_VALIDITA": validity dates inconsistent or past. */
  VALIDITY_DATES: '185',
  /** "PAGAMENTO_SCADUTO": the position has expired. */
  EXPIRED: '187',
  /** Cassa's own (docs/checkout.md): no receipt for the position. PiemontePAY's table for the RT copy is not published. */
  RECEIPT_NOT_FOUND: '188',
  /** "RIFERIMENTO_PAGAMENTO_VUOTO": payment references incomplete or not valid. */
  REFERENCES_INVALID: '193',
  /** Payment references on a position that is not ANONIMO (fines with advance notice). */
  REFERENCES_NOT_ALLOWED: '194',
  /** "IMPORTO_MAGGIORE_DI_ZERO": fines, the debtor cannot be updated, the amount is not 0. */
  DEBTOR_NOT_UPDATABLE: '196',
  /** The caller lacks the scope, or is not authorised for the payment type. */
  NOT_AUTHORISED: '200',
  /** "SOGGETTO_PAGATORE_NON_ANONIMO": fines, the debtor cannot be updated, it is no longer ANONIMO. */
  DEBTOR_NOT_ANONYMOUS: '218',
  /** "MDP_SERVICES_ERRORE": no IUV could be given (not valid for the ente, or none free). */
  IUV_ERROR: '250',
  /**
   * Components inconsistent (a component of zero...), from the REST API: outside the SOAP outcomes'
   * CodiceEsitoType, where it becomes GENERIC_ERROR (`outcomeCode` in gestionali/domain/lists.ts).
   */
  COMPONENTS_INCONSISTENT: '300',
} as const;
