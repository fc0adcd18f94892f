// Types of public-url.js (plain JavaScript: see there why).
type Env = Record<string, string | undefined>;

export declare const GEST_DEFAULT_PORT: 8070;
export declare const EPAYWSO2ENTI_PATH: '/soap/EPaywso2EntiService';
export declare class GestionaleConfigError extends Error {}
export declare function gestionalePort(env?: Env): number;
export declare function gestionalePublicUrl(env?: Env): string;
export declare function returnUrlOf(config: { publicUrl: string }): string;
export declare function soapEndpointOf(config: { publicUrl: string }): string;
