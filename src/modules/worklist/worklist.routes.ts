import type { ApiRouter } from '../../shared/http/route';
import type { Services } from '../../services';
import { allTasks } from '../../scheduler/tasks';
import { actorFromContext } from '../audit';
import { completeBody, idParams, runsQuery, runsResponse, taskView, tasksQuery, tasksResponse } from './worklist.schema';

const TASKS = ['staff: tasks'];
const SCHEDULER = ['staff: scheduler'];

/** HTTP ↔ WorklistService: staff tasks, and the scheduler's task list with its recent runs. */
export function registerWorklistRoutes(api: ApiRouter, s: Services): void {
  api
    .add(
      {
        method: 'get', path: '/api/staff/tasks', summary: 'Staff tasks: of your role or assigned to you (the director sees all); audited',
        tags: TASKS, auth: 'staff', query: tasksQuery, response: tasksResponse,
      },
      ({ ctx, query }) => s.worklist.list(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'post', path: '/api/staff/tasks/:id/complete', summary: 'Mark a task done, with a note (audited)',
        tags: TASKS, auth: 'staff', params: idParams, body: completeBody, response: taskView, errors: ['NOT_FOUND', 'TASK_NOT_OPEN'],
      },
      ({ ctx, params, body }) => s.worklist.complete(actorFromContext(ctx), params.id, body.note || null),
    )
    .add(
      {
        method: 'get', path: '/api/staff/scheduler/runs', summary: 'Scheduled tasks (id, schedule, what it does) and their recent runs (director)',
        tags: SCHEDULER, auth: 'staff', roles: ['director'], query: runsQuery, response: runsResponse,
      },
      async ({ query }) => {
        const tasks = allTasks();
        const [latest, runs] = await Promise.all([s.worklist.runs.latest(tasks.map((t) => t.id)), s.worklist.runs.recent(query)]);
        return {
          tasks: tasks.map((t) => ({ id: t.id, schedule: t.schedule, description: t.description, lastRun: latest.get(t.id) ?? null })),
          runs,
        };
      },
    );
}
