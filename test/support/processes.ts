import type { EventStore } from '@carepath/event-store';
import { DEFAULT_PROCESS_CONFIG, type ProcessConfig } from '@carepath/runtime';
import { ProcessManager } from '../../apps/api/src/processes/process-manager';
import { ProjectionsService } from '../../apps/api/src/projections/projections.service';
import { EVENT_STORE } from '../../apps/api/src/store/tokens';
import type { TestApp } from './test-app';

/** Config overrides that turn the processes on (startTestApp turns them off for specs of recorded history). */
export const processesOn = (settings: Partial<ProcessConfig> = {}): { processes: ProcessConfig } => ({
  processes: { ...DEFAULT_PROCESS_CONFIG, ...settings, enabled: true },
});

/**
 * What the manager's timer does when it fires, once the care-processes read model has every event written so far:
 * a spec moves its fake clock, then calls this instead of waiting for the timer.
 */
export async function runProcesses(t: TestApp): Promise<void> {
  const runner = t.app.get(ProjectionsService).runner('care-processes');
  // Its own streams' head: on EventStoreDB a filtered subscription reports positions past them only now and then.
  const head = await t.app
    .get<symbol, EventStore>(EVENT_STORE)
    .headPosition({ streamPrefixes: runner.definition.streamPrefixes });
  await runner.waitFor(head);
  await t.app.get(ProcessManager).runDue();
}
