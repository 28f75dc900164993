import { describeFailoverScenarios } from './support/failover-scenarios';
import { pgKit, pgKitWithoutHotStandby } from './support/pg-kit';

describeFailoverScenarios(pgKit);
describeFailoverScenarios(pgKitWithoutHotStandby);
