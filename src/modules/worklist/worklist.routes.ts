import type { ApiRouter } from '../../shared/http/route';
import type { WorklistService } from './worklist.service';
import type { TaskExports } from './worklist.export';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import { actorFromContext } from '../audit';
import { clientTaskBody, completeBody, idParams, taskView, tasksExportQuery, tasksQuery, tasksResponse } from './worklist.schema';

const TASKS = ['staff: tasks'];

/** HTTP ↔ WorklistService: staff tasks. */
export function registerWorklistRoutes(api: ApiRouter, s: { worklist: WorklistService; taskExports: TaskExports }): void {
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
        // Before /:id/complete, as every list's file is registered before its rows.
        method: 'get', path: '/api/staff/tasks/export', summary: 'The task list as a file (CSV with BOM or xlsx): same filters and visibility as the list; audited',
        tags: TASKS, auth: 'staff', query: tasksExportQuery, files: EXPORT_FILES,
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.taskExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
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
