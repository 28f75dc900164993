/** The app a trial writes through. */
import { PromotionWatch } from './promotion-watch';
import type { TrialTimeline } from './trial-timeline';
import type { ChaosCluster, ChaosFault } from './types';

/** App instances in a trial where the library promotes: enough to show that only one of them does. */
const APP_INSTANCES = 3;

/**
 * The app: one pool, or with promotion by the library several app instances, each its own pool
 * with its own monitor and promoter, so that a trial shows that exactly one of them promotes.
 */
export function startApp<Pool>(
  chaos: ChaosCluster<Pool>,
  fault: ChaosFault,
  timeline: TrialTimeline,
): { pools: Pool[]; watch: PromotionWatch | undefined } {
  if (fault.promoter !== 'library') return { pools: [chaos.createPool()], watch: undefined };
  const watchPromotion = chaos.watchPromotion?.bind(chaos);
  if (!watchPromotion) throw new Error(`This engine cannot report promotion by the library.`);
  const watch = new PromotionWatch(timeline);
  const pools = Array.from({ length: APP_INSTANCES }, (_, i) => {
    const pool = chaos.createPool();
    watchPromotion(pool, watch.listenerFor(`app${i + 1}`));
    return pool;
  });
  return { pools, watch };
}
