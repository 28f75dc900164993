/**
 * The part of OpenTelemetry's metrics API (`@opentelemetry/api`) the pool uses, by shape: an app's
 * MeterProvider fits it, and the library never loads the API package itself.
 */
export type MetricAttributes = Record<string, string>;

export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

export interface ObservableResultLike {
  observe(value: number, attributes?: MetricAttributes): void;
}

export interface ObservableLike {
  addCallback(callback: (result: ObservableResultLike) => void): void;
}

export interface InstrumentOptionsLike {
  description?: string;
  unit?: string;
}

export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptionsLike): CounterLike;
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  createObservableGauge(name: string, options?: InstrumentOptionsLike): ObservableLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
}

export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * The MeterProvider an OpenTelemetry SDK registered globally, if any. `@opentelemetry/api` keeps its
 * globals on `globalThis` under `Symbol.for('opentelemetry.js.api.1')`; reading them there finds an
 * SDK the app set up without loading (or requiring) the API package: with no OpenTelemetry set up,
 * nothing is loaded and nothing costs.
 */
export function globalMeterProvider(): MeterProviderLike | undefined {
  const registry = (globalThis as Record<symbol, unknown>)[Symbol.for('opentelemetry.js.api.1')] as
    | { metrics?: unknown }
    | undefined;
  const provider = registry?.metrics as Partial<MeterProviderLike> | undefined;
  return typeof provider?.getMeter === 'function' ? (provider as MeterProviderLike) : undefined;
}
