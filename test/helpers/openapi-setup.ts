import { takeViolations } from './openapi';

// Every answer an API test receives is checked against /openapi.json (test/helpers/context.ts installs
// the check); a test whose answers the document does not describe fails here.
afterEach(() => {
  const violations = takeViolations();
  if (violations.length) {
    const lines = violations.slice(0, 30).map((v) => `${v.request} → ${v.status}: ${v.problem}`);
    throw new Error(`answers that /openapi.json does not describe (${violations.length}):\n${lines.join('\n')}`);
  }
});
