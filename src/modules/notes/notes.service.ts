import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import type { FieldCipher } from '../../shared/crypto';
import { publicId as newPublicId } from '../../shared/crypto';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import type { ClientDataHooks, ClientsService } from '../clients';
import type { NoteKind } from './notes.entity';

export interface NotesDeps {
  db: DataSource;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  clients: Pick<ClientsService, 'accessForStaff'>;
  logger: Logger;
}

export interface NoteView {
  id: string;
  kind: NoteKind;
  text: string | null;
  author: { id: string; displayName: string } | null;
  createdAt: Date;
}

/** The note text's associated data: a ciphertext copied onto another note does not decrypt. */
export const noteAad = (notePublicId: string) => `client_notes:${notePublicId}:body`;

interface NoteRow { id: number; publicId: string; kind: NoteKind; bodyEnc: Buffer; createdAt: Date; authorId: string | null; authorName: string | null }

/**
 * Staff notes and the contact log on a client 沟通记录 (DOMAIN.md, working day): whoever may see
 * the client (the clients module's access rule) reads and adds them; every read and write is audited.
 */
export class NotesService {
  constructor(private readonly deps: NotesDeps) {}

  async add(actor: Actor, clientPublicId: string, input: { kind: NoteKind; text: string }): Promise<NoteView> {
    const client = await this.deps.clients.accessForStaff(actor, clientPublicId, 'client.note.create');
    const pid = newPublicId();
    const now = this.deps.clock.now();
    await runInTransaction(this.deps.db, async (m) => {
      await m.query(
        'INSERT INTO client_notes (public_id, client_id, staff_id, kind, body_enc, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [pid, client.id, actor.id, input.kind, this.deps.cipher.encrypt(input.text, noteAad(pid)), now],
      );
      await this.deps.audit.record(actor, 'client.note.create', { clientId: client.id, details: { noteId: pid, kind: input.kind, role: actor.role } }, m);
    });
    const [note] = await this.rows(this.deps.db.manager, client.id, { publicId: pid });
    return this.view(note);
  }

  async list(actor: Actor, clientPublicId: string, q: { page: number; pageSize: number }): Promise<{ items: NoteView[]; page: number; hasMore: boolean }> {
    const client = await this.deps.clients.accessForStaff(actor, clientPublicId, 'client.note.read');
    const rows = await this.rows(this.deps.db.manager, client.id, { limit: q.pageSize + 1, offset: (q.page - 1) * q.pageSize });
    await this.deps.audit.record(actor, 'client.note.read', { clientId: client.id, details: { page: q.page, results: Math.min(rows.length, q.pageSize), role: actor.role } });
    return { items: rows.slice(0, q.pageSize).map((r) => this.view(r)), page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** Erased with the account; part of the client's own export (PIPL). */
  readonly clientDataHooks: ClientDataHooks = {
    onAccountDeleted: async (m, clientId) => {
      await m.query('DELETE FROM client_notes WHERE client_id = ?', [clientId]);
    },
    exportSections: async (m, clientId) => ({
      staffNotes: (await this.rows(m, clientId, {})).reverse().map((r) => ({ kind: r.kind, text: this.open(r), at: r.createdAt })),
    }),
  };

  private async rows(m: EntityManager, clientId: number, opts: { publicId?: string; limit?: number; offset?: number }): Promise<NoteRow[]> {
    return m.query(
      `SELECT n.id AS id, n.public_id AS publicId, n.kind AS kind, n.body_enc AS bodyEnc, n.created_at AS createdAt,
              s.public_id AS authorId, s.display_name AS authorName
         FROM client_notes n LEFT JOIN staff s ON s.id = n.staff_id
        WHERE n.client_id = ?${opts.publicId ? ' AND n.public_id = ?' : ''}
        ORDER BY n.id DESC${opts.limit ? ' LIMIT ? OFFSET ?' : ''}`,
      [clientId, ...(opts.publicId ? [opts.publicId] : []), ...(opts.limit ? [opts.limit, opts.offset ?? 0] : [])],
    );
  }

  private open(row: NoteRow): string | null {
    try {
      return this.deps.cipher.decrypt(row.bodyEnc, noteAad(row.publicId));
    } catch {
      this.deps.logger.error({ noteId: row.publicId }, 'note text cannot be decrypted; answered as null');
      return null;
    }
  }

  private view(r: NoteRow): NoteView {
    return {
      id: r.publicId,
      kind: r.kind,
      text: this.open(r),
      author: r.authorId ? { id: r.authorId, displayName: r.authorName ?? '' } : null,
      createdAt: r.createdAt,
    };
  }
}
