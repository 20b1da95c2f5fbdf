import type { DataSource } from 'typeorm';
import { FieldCipher, normalizeName, normalizePhone } from '../../shared/crypto';
import { keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from './clients.access';
import { aad, maskPhone } from './clients.shared';

export interface ClientExportQuery {
  phone?: string;
  name?: string;
  stage?: string;
}

// The director approves exports (DOMAIN.md, the people): only their file carries whole phone
// numbers; everyone else's carries the list's mask (a look at one number stays an audited reveal).
const FULL_PHONE_ROLES = new Set(['director']);
const GENDER_ZH: Record<string, string> = { female: '女', male: '男', unknown: '未知' };

const COLUMNS = [
  { key: 'id', header: '客户ID' }, { key: 'name', header: '姓名' }, { key: 'gender', header: '性别' }, { key: 'phone', header: '手机号' },
  { key: 'stage', header: '阶段' }, { key: 'consultant', header: '专属咨询师' }, { key: 'sourceChannel', header: '来源渠道' }, { key: 'createdAt', header: '建档时间' },
];

interface Row { id: number; publicId: string; nameEnc: Buffer | null; phoneEnc: Buffer | null; gender: string; stage: string; consultant: string | null; sourceChannel: string | null; createdAt: Date }

/**
 * The staff client list as a file (GET /api/staff/clients/export): the same filters and the same
 * client-access rule as the list, read in keyset batches as the file streams. No health column
 * exists in the list, so none in the file. Each batch written is audited with its client ids
 * ('client.export'), so "who saw client X" covers exports as it covers the list.
 */
export class ClientExports {
  private readonly access: ClientAccess;

  constructor(private readonly deps: { db: DataSource; cipher: FieldCipher; audit: AuditService; logger: Logger }) {
    this.access = new ClientAccess(deps);
  }

  exportForStaff(actor: Actor, q: ClientExportQuery, format: string): TableExport {
    this.access.requireScope(actor, 'archive');
    const scope = this.access.filter(actor, 'archive');
    const where: string[] = ["c.status = 'active'", scope.sql];
    const params: unknown[] = [...scope.params];
    if (q.phone) { where.push('c.phone_bidx IN (?)'); params.push(this.deps.cipher.blindIndexes('phone', normalizePhone(q.phone))); }
    if (q.name) { where.push('c.name_bidx IN (?)'); params.push(this.deps.cipher.blindIndexes('name', normalizeName(q.name))); }
    if (q.stage) { where.push('c.stage = ?'); params.push(q.stage); }
    const fullPhone = actor.type === 'staff' && FULL_PHONE_ROLES.has(actor.role ?? '');
    const filters = (['phone', 'name', 'stage'] as const).filter((k) => q[k] !== undefined);
    const fetch = (after: number | null, limit: number): Promise<Row[]> => this.deps.db.query(
      `SELECT c.id, c.public_id AS publicId, c.name_enc AS nameEnc, c.phone_enc AS phoneEnc, c.gender, c.stage, s.display_name AS consultant,
              c.source_channel AS sourceChannel, c.created_at AS createdAt
         FROM clients c LEFT JOIN staff s ON s.id = c.consultant_id
        WHERE ${where.join(' AND ')}${after === null ? '' : ' AND c.id < ?'} ORDER BY c.id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after]), limit],
    );
    const self = this;
    async function* rows(): AsyncGenerator<Record<string, unknown>> {
      for await (const batch of keysetBatches(fetch, (r) => r.id)) {
        await self.deps.audit.record(actor, 'client.export', {
          details: { format, filters, role: actor.role, fullPhone, results: batch.length, clientIds: batch.map((r) => r.id) },
        });
        for (const r of batch) {
          const phone = self.open(r.phoneEnc, aad.client(r.publicId, 'phone'));
          yield {
            id: r.publicId, name: self.open(r.nameEnc, aad.client(r.publicId, 'name')), gender: GENDER_ZH[r.gender] ?? r.gender,
            phone: fullPhone ? phone : maskPhone(phone), stage: r.stage, consultant: r.consultant, sourceChannel: r.sourceChannel, createdAt: r.createdAt,
          };
        }
      }
    }
    return { filename: 'clients', sheetName: '客户', columns: COLUMNS, rows: rows(), logger: this.deps.logger };
  }

  private open(blob: Buffer | null, aadText: string): string | null {
    if (!blob) return null;
    try {
      return this.deps.cipher.decrypt(blob, aadText);
    } catch {
      this.deps.logger.error({ column: aadText.split(':')[2] }, 'stored value cannot be decrypted; exported as empty');
      return null;
    }
  }
}
