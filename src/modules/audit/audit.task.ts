import type { Task } from '../../shared/task';
import type { AuditService } from './audit.service';

/** Every minute: links audit rows no process linked after its commit (one stopped in between). */
export const auditChainTask: Task<{ audit: AuditService }> = {
  id: 'audit-chain-sweep',
  schedule: '* * * * *',
  description: 'Link committed audit rows into the hash chain that their process did not (the backstop of the chainer)',
  run: async ({ services }) => ({ items: await services.audit.chainer.sweep() }),
};
