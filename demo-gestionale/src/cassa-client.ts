/**
 * Cassa's epayapi REST API (PiemontePAY's epayapi v1), as a gestionale calls it: HTTP Basic with
 * codiceChiamante and passphrase. Only the two operations the demo needs.
 */
export interface CassaClientOptions {
  cassaUrl: string;
  codiceChiamante: string;
  passphrase: string;
  ente: string;
  paymentType: string;
  timeoutMs?: number;
}

export interface CreateDebtPosition {
  identificativoPagamento: string;
  importo: number;
  causale: string;
  codiceFiscalePartitaIVAPagatore: string;
  nome: string;
  cognome: string;
  email?: string;
  notePerIlPagatore?: string;
}

export interface CreatedDebtPosition {
  iuv: string;
  codiceAvviso: string;
  /** true when Cassa recognised a resend of the same position (header idempotent-replayed). */
  replayed: boolean;
}

/** epayapi Status.code: 0 paid, 1 not paid, 2 cancelled, 3 not yet active, 4 no longer active. */
export interface PositionStatus {
  code: '0' | '1' | '2' | '3' | '4';
  description: string;
}

export class CassaError extends Error {
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly codiceEsito?: string,
  ) {
    super(message);
    this.name = 'CassaError';
  }
}

export class CassaClient {
  private readonly base: string;
  private readonly authorization: string;

  constructor(private readonly o: CassaClientOptions) {
    this.base = `${o.cassaUrl.replace(/\/+$/, '')}/epayapi/api/v1/organizations/${encodeURIComponent(o.ente)}/paymenttypes/${encodeURIComponent(o.paymentType)}/debtpositions`;
    this.authorization = `Basic ${Buffer.from(`${o.codiceChiamante}:${o.passphrase}`, 'utf8').toString('base64')}`;
  }

  async createDebtPosition(body: CreateDebtPosition): Promise<CreatedDebtPosition> {
    const res = await this.call('POST', this.base, body);
    const json = (await res.json().catch(() => ({}))) as {
      codiceEsito?: string;
      descrizioneEsito?: string;
      iuv?: string;
      codiceAvviso?: string;
    };
    if (!res.ok || json.codiceEsito !== '000' || !json.iuv || !json.codiceAvviso) {
      throw new CassaError(
        `createDebtPosition ${body.identificativoPagamento}: HTTP ${res.status} ${json.codiceEsito ?? ''} ${json.descrizioneEsito ?? ''}`.trim(),
        res.status,
        json.codiceEsito,
      );
    }
    return {
      iuv: json.iuv,
      codiceAvviso: json.codiceAvviso,
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  }

  async status(iuv: string): Promise<PositionStatus> {
    const res = await this.call('GET', `${this.base}/${encodeURIComponent(iuv)}/status`);
    const json = (await res.json().catch(() => ({}))) as {
      code?: string;
      description?: string;
      result?: { code?: string; description?: string };
    };
    if (!res.ok || !json.code || !['0', '1', '2', '3', '4'].includes(json.code)) {
      const r = json.result ?? json;
      throw new CassaError(
        `getDebtPositionStatus ${iuv}: HTTP ${res.status} ${r.code ?? ''} ${r.description ?? ''}`.trim(),
        res.status,
        r.code,
      );
    }
    return { code: json.code as PositionStatus['code'], description: json.description ?? '' };
  }

  private async call(method: string, url: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new CassaError(`Cassa non raggiungibile (${method} ${url}): ${(e as Error).message}`);
    }
  }
}
