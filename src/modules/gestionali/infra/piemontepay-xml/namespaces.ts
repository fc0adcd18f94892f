/**
 * PiemontePAY's namespaces and SOAPAction base (Enti2EPaywsoService.wsdl, EPaywso2EntiService.wsdl and their
 * XSDs), declared once: the lists Cassa receives, the messages it sends and the acknowledgement all use them.
 */

/** Enti2EPaywsoServiceTypes.xsd: the liste di carico a gestionale sends to Cassa. */
export const ENTI2EPAYWSO_NS = 'http://www.csi.it/epay/epaywso/enti2epaywso/types';
/** EPaywso2EntiServiceTypes.xsd: the outcomes and notifications Cassa sends to a gestionale. */
export const EPAYWSO2ENTI_NS = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';
/** EPaywsoCommonTypes.xsd: Result, SoggettoType, the positions of an outcome. */
export const EPAYWSO_COMMON_NS = 'http://www.csi.it/epay/epaywso/types';
/** The SOAPAction of an operation is this base followed by the operation's name. */
export const SOAP_ACTION_BASE = 'http://www.csi.it/epay/epaywso/service/';
