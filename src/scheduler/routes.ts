import type { ApiRouter } from '../shared/http/route';
import type { SchedulerRuns } from './runs';
import { allTasks } from './tasks';
import { runsQuery, runsResponse } from './runs.schema';

const SCHEDULER = ['staff: scheduler'];

/** HTTP ↔ the scheduler's record: its task list with each task's last run, and the recent runs. */
export function registerSchedulerRoutes(api: ApiRouter, s: { schedulerRuns: SchedulerRuns }): void {
  api
    .add(
      {
        method: 'get', path: '/api/staff/scheduler/runs', summary: 'Scheduled tasks (id, schedule, what it does) and their recent runs (director)',
        tags: SCHEDULER, auth: 'staff', roles: ['director'], query: runsQuery, response: runsResponse,
      },
      async ({ query }) => {
        const tasks = allTasks();
        const [latest, runs] = await Promise.all([s.schedulerRuns.latest(tasks.map((t) => t.id)), s.schedulerRuns.recent(query)]);
        return {
          tasks: tasks.map((t) => ({ id: t.id, schedule: t.schedule, description: t.description, lastRun: latest.get(t.id) ?? null })),
          runs,
        };
      },
    );
}
