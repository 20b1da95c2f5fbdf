import type { ApiRouter } from '../../shared/http/route';
import type { WorklistService } from './worklist.service';
import { actorFromContext } from '../audit';
import { clientTaskBody, completeBody, idParams, taskView, tasksQuery, tasksResponse } from './worklist.schema';

const TASKS = ['staff: tasks'];

/** HTTP ↔ WorklistService: staff tasks. */
export function registerWorklistRoutes(api: ApiRouter, s: { worklist: WorklistService }): void {
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
        method: 'post', path: '/api/staff/clients/:id/tasks',
        summary: 'Create a task about a client (yours unless another role is named; once per requestId; consultant: own clients; audited)',
        tags: TASKS, auth: 'staff', params: idParams, body: clientTaskBody, response: taskView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, body }) => s.worklist.createForClient(actorFromContext(ctx), params.id, { ...body, details: body.details || undefined, dueAt: body.dueAt ? new Date(body.dueAt) : undefined }),
    );
}
