import { describeFailoverScenarios } from './support/failover-scenarios';
import { mysqlKits } from './support/mysql2-kits';

for (const kit of Object.values(mysqlKits)) describeFailoverScenarios(kit);
