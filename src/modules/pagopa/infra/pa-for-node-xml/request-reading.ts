/**
 * Reading paForNode requests (element names spelled as in paForNode.xsd): lenient accessors over the body the
 * SOAP envelope parser gives, and the Reader that turns a field missing or not matching its pattern into
 * PAA_SINTASSI_EXTRAXSD. Used by the SOAP edge (src/http/soap/pa-for-node-messages.ts) and the receipt reader.
 */
import { paaFault } from '../../domain/faults.js';
import type { CallerIds } from '../../domain/notice.js';
import type { XmlObject, XmlValue } from '../../../../shared/soap/soap-envelope.js';

export function child(o: XmlValue | undefined, name: string): XmlValue | undefined {
  return o !== undefined && typeof o === 'object' && !Array.isArray(o) ? o[name] : undefined;
}

export function str(o: XmlValue | undefined, name: string): string | undefined {
  const v = child(o, name);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function list(v: XmlValue | undefined): XmlValue[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export const TEXT35 = /^.{1,35}$/su;
export const FISCAL_CODE_PA = /^[0-9]{11}$/;
export const NOTICE_NUMBER = /^[0-9]{18}$/;

export class Reader {
  constructor(
    private readonly id: string,
    private readonly what: string,
  ) {}

  fail(field: string, problem: string): never {
    throw paaFault('PAA_SINTASSI_EXTRAXSD', this.id, `${this.what}: ${field} ${problem}`);
  }

  required(o: XmlValue | undefined, name: string, pattern: RegExp, path = name): string {
    const v = str(o, name);
    if (v === undefined) this.fail(path, 'mancante');
    if (!pattern.test(v)) this.fail(path, 'non valido');
    return v;
  }

  optional(o: XmlValue | undefined, name: string, pattern: RegExp): string | undefined {
    const v = str(o, name);
    if (v !== undefined && !pattern.test(v)) this.fail(name, 'non valido');
    return v;
  }
}

export function callerIds(r: Reader, body: XmlObject): CallerIds {
  return {
    idPA: r.required(body, 'idPA', TEXT35),
    idBrokerPA: r.required(body, 'idBrokerPA', TEXT35),
    idStation: r.required(body, 'idStation', TEXT35),
  };
}
