import { defineErrors, type CodesOf } from '../../shared/errors';

/** Staff tasks. */
export const WorklistErrors = defineErrors({
  // Done or cancelled already: a task is completed once.
  TASK_NOT_OPEN: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof WorklistErrors> {}
}
