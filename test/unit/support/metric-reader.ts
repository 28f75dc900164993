import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader the test collects from when it wants: the OpenTelemetry SDK as an app sets it up. */
class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** Data points by instrument name, each with its attributes and value (a histogram's: its count). */
export type Collected = Map<string, { attributes: Record<string, unknown>; value: number }[]>;

export function testMeterProvider() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Collected> => {
    const { resourceMetrics } = await reader.collect();
    const found: Collected = new Map();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        found.set(
          metric.descriptor.name,
          metric.dataPoints.map((point) => ({
            attributes: point.attributes as Record<string, unknown>,
            value: typeof point.value === 'number' ? point.value : (point.value as { count: number }).count,
          })),
        );
      }
    }
    return found;
  };
  return { provider, collect };
}
