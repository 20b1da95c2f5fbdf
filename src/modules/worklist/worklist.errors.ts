import { defineErrors } from '../../shared/errors';

/** Staff tasks. */
export const WorklistErrors = defineErrors({
  // Done or cancelled already: a task is completed once.
  TASK_NOT_OPEN: 409,
});
