import { shanghaiMinute } from '../../shared/clock';
import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import type { PostStatus } from './community.entity';
import type { CommunityService, PostView } from './community.service';

const STATUS_ZH: Record<string, string> = {
  draft: '草稿', pending_approval: '待审核', approved: '已通过', scheduled: '已排期', rejected: '已驳回', sent: '已发送', cancelled: '已取消',
};
const WEEKDAY_ZH = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const COLUMNS = [
  { key: 'id', header: '帖子ID' }, { key: 'title', header: '标题' }, { key: 'text', header: '正文' }, { key: 'status', header: '状态' },
  { key: 'audience', header: '发送对象' }, { key: 'schedule', header: '发送计划' }, { key: 'compliance', header: '合规检查' }, { key: 'createdBy', header: '作者' },
  { key: 'approvedBy', header: '审核人' }, { key: 'approvedAt', header: '审核时间' }, { key: 'lastOccurrence', header: '最近发送' }, { key: 'nextAt', header: '下次发送' },
  { key: 'createdAt', header: '创建时间' },
];

function audienceText(p: PostView): string {
  return 'roomTopics' in p.audience
    ? `群：${p.audience.roomTopics.join('、')}`
    : `标签：${Object.entries(p.audience.tags).map(([group, names]) => `${group}=${names.join('/')}`).join('；')}`;
}

/**
 * The community post list as a file (GET /api/staff/community/posts/export): the list's status
 * filter, newest first in keyset batches of row ids. Posts name no client (where a post went is
 * the deliveries' view, not this list). Each batch is audited ('community.posts.export').
 */
export class PostExports {
  constructor(private readonly deps: { community: Pick<CommunityService, 'pageBefore'>; audit: AuditService; logger: Logger }) {}

  exportForStaff(actor: Actor, q: { status?: PostStatus }, format: string): TableExport {
    const rows = batchRows(
      keysetBatches((before: number | null, limit) => this.deps.community.pageBefore(q.status, before, limit), (p) => p.key),
      (batch) => this.deps.audit.record(actor, 'community.posts.export', { details: { format, status: q.status ?? null, results: batch.length } }),
      (p) => ({
        id: p.id, title: p.title, text: p.text, status: STATUS_ZH[p.status] ?? p.status, audience: audienceText(p),
        schedule: p.schedule.kind === 'once' ? `单次 ${shanghaiMinute(new Date(p.schedule.at))}` : `每${WEEKDAY_ZH[p.schedule.weekday] ?? p.schedule.weekday} ${p.schedule.time}`,
        compliance: p.compliance ? (p.compliance.compliant ? '通过' : `违规：${p.compliance.violations.flatMap((v) => v.words).join('、')}`) : '未检查',
        createdBy: p.createdBy?.name ?? null, approvedBy: p.approvedBy?.name ?? null, approvedAt: p.approvedAt, lastOccurrence: p.lastOccurrence, nextAt: p.nextAt, createdAt: p.createdAt,
      }),
    );
    return { filename: 'community-posts', sheetName: '社群内容', columns: COLUMNS, rows, logger: this.deps.logger };
  }
}
