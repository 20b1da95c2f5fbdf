import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import { notFound } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import type { ClientsService } from '../clients';
import { mayAccess, readClientField } from '../clients';
import type { AccessScope } from '../clients';
import type { JourneyService } from '../journey';
import type { OutboxService } from '../outbox';
import type { StaffRole } from '../staff';

/** What completing a procedure appointment records (the care module's treatments), inside the caller's transaction. */
export interface TreatmentRecorder {
  record(
    actor: Actor,
    input: { requestId: string; order: string; project: string; doctor?: string; performedAt: Date; notes?: string; advice?: string },
    m: EntityManager,
  ): Promise<{ id: string }>;
}

export interface ConsultationsDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  journey: JourneyService;
  outbox: OutboxService;
  /** For the health-data consent rule (requireHealthConsent). */
  clients: ClientsService;
  /** Completing a procedure appointment records its treatment (idempotent by the appointment). */
  treatments: TreatmentRecorder;
  logger: Logger;
}

/**
 * Associated data of every encrypted column of this module: it binds a ciphertext to its row and
 * column, so a value copied elsewhere fails to decrypt. A key rotation (keys:reencrypt) uses the same.
 */
export const aad = {
  analysis: (planPublicId: string, revision: number) => `plan_revisions:${planPublicId}:${revision}:analysis`,
  // The treatment options name the procedures a client is considering (health data, DOMAIN.md).
  options: (planPublicId: string, revision: number) => `plan_revisions:${planPublicId}:${revision}:options`,
  riskPlan: (planPublicId: string, revision: number) => `plan_revisions:${planPublicId}:${revision}:risk_plan`,
  comment: (commentPublicId: string) => `plan_comments:${commentPublicId}:comment`,
  letterSnapshot: (letterPublicId: string) => `intent_letters:${letterPublicId}:snapshot`,
  appointmentNote: (appointmentPublicId: string) => `appointments:${appointmentPublicId}:note`,
  // An event has no public id of its own: its reason is bound to the appointment's.
  eventReason: (appointmentPublicId: string) => `appointment_events:${appointmentPublicId}:reason`,
};

/**
 * The encrypted columns of this module in the shape of the key-rotation command's table plans
 * (src/cli/reencrypt.ts): table, key, the columns the AAD needs, and the AAD of each column.
 */
export const ENCRYPTED_TABLES: {
  table: string; key: string; select: string; from: string; keepUpdatedAt: boolean;
  columns: { column: string; aad: (row: Record<string, unknown>) => string }[];
}[] = [
  {
    table: 'plan_revisions', key: 'id', select: 't.revision AS revision, p.public_id AS planPublicId', from: 'plan_revisions t JOIN plans p ON p.id = t.plan_id',
    columns: [
      { column: 'options_enc', aad: (r) => aad.options(String(r.planPublicId), Number(r.revision)) },
      { column: 'analysis_enc', aad: (r) => aad.analysis(String(r.planPublicId), Number(r.revision)) },
      { column: 'risk_plan_enc', aad: (r) => aad.riskPlan(String(r.planPublicId), Number(r.revision)) },
    ],
    keepUpdatedAt: false,
  },
  { table: 'plan_comments', key: 'id', select: 't.public_id AS publicId', from: 'plan_comments t', columns: [{ column: 'comment_enc', aad: (r) => aad.comment(String(r.publicId)) }], keepUpdatedAt: false },
  { table: 'intent_letters', key: 'id', select: 't.public_id AS publicId', from: 'intent_letters t', columns: [{ column: 'snapshot_enc', aad: (r) => aad.letterSnapshot(String(r.publicId)) }], keepUpdatedAt: false },
  { table: 'appointments', key: 'id', select: 't.public_id AS publicId', from: 'appointments t', columns: [{ column: 'note_enc', aad: (r) => aad.appointmentNote(String(r.publicId)) }], keepUpdatedAt: false },
  {
    table: 'appointment_events', key: 'id', select: 'a.public_id AS publicId', from: 'appointment_events t JOIN appointments a ON a.id = t.appointment_id',
    columns: [{ column: 'reason_enc', aad: (r) => aad.eventReason(String(r.publicId)) }], keepUpdatedAt: false,
  },
];

export interface ClientRef {
  id: number;
  publicId: string;
  consultantId: number | null;
  status: string;
  birthDate: string | null;
}

export interface StaffRef {
  id: string;
  name: string;
}

/** Mini-program pages a notice opens. */
const PAGES = { plan: 'packageSurvey/plan/index', appointments: 'packageSurvey/appointments/index' };
export const APPOINTMENT_LABEL: Record<string, string> = { consultation: '面诊', procedure: '治疗', review: '复查' };

export interface ClientNotice {
  /** What happened, for the record (plan_proposed, appointment_moved …). */
  event: string;
  /** The message itself; no plan content or health data (the payload is plaintext; the client reads details in the mini-program). */
  text: string;
  /** The card's title and the page it opens. */
  title: string;
  page: { plan: string } | 'appointments';
  /** Ids kept with the row (planId, revision, appointmentId …). */
  refs: Record<string, unknown>;
  /** When it may go (default now): reminders are queued ahead. */
  dueAt?: Date;
  /** 'notice' by default; 'reminder' for appointment reminders. */
  purpose?: string;
}

/** What the plan, appointment and metrics services share: transactions, client access, sealing, notices. */
export class Support {
  constructor(readonly deps: ConsultationsDeps) {}

  /**
   * Tells the client about their plan or appointment, once per `dedupeKey`: a client message like
   * every other (WeCom when the client is a contact, else a subscribe message, else a staff task;
   * quiet hours apply), with a card that opens the page.
   */
  async notifyClient(m: EntityManager, clientId: number, dedupeKey: string, n: ClientNotice): Promise<void> {
    const pagePath = n.page === 'appointments' ? PAGES.appointments : `${PAGES.plan}?id=${n.page.plan}`;
    await this.deps.outbox.enqueue(m, {
      kind: 'client_message', dedupeKey, clientId, dueAt: n.dueAt,
      payload: {
        ...n.refs, purpose: n.purpose ?? 'notice', event: n.event, text: n.text, card: { title: n.title, pagePath },
        templateId: this.deps.config.care.subscribeTemplateId, data: { thing1: n.title, thing2: n.text.slice(0, 20) },
      },
    });
  }

  /** Tells staff through WeCom (their group, headed with `role`); no client detail in the text. */
  async alertStaff(m: EntityManager, clientId: number, dedupeKey: string, a: { event: string; text: string; role: StaffRole; staffId?: number | null; refs: Record<string, unknown> }): Promise<void> {
    await this.deps.outbox.enqueue(m, {
      kind: 'staff_alert', dedupeKey, clientId,
      payload: { ...a.refs, event: a.event, text: a.text, staffRole: a.role, ...(a.staffId ? { staffId: a.staffId } : {}) },
    });
  }

  /** A short READ COMMITTED transaction, run again when it was chosen as a deadlock victim. */
  tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }

  now(): Date {
    return this.deps.clock.now();
  }

  async clientRef(m: EntityManager, by: { id: number } | { publicId: string }): Promise<ClientRef | null> {
    const [col, value] = 'id' in by ? ['id', by.id] : ['public_id', by.publicId];
    const rows: any[] = await m.query(
      `SELECT id, public_id, consultant_id, status, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birth_date FROM clients WHERE ${col} = ?`,
      [value],
    );
    const r = rows[0];
    return r ? { id: Number(r.id), publicId: r.public_id, consultantId: r.consultant_id === null ? null : Number(r.consultant_id), status: r.status, birthDate: r.birth_date } : null;
  }

  /** The client-access rule (clients module): may this staff member see this section of this client? */
  may(actor: Actor, client: { consultantId: number | null }, scope: AccessScope): boolean {
    return mayAccess(actor, client, scope);
  }

  /**
   * The client a staff request is about: a missing or deleted client and one the actor may not see
   * (a consultant's unassigned client) answer the same 404; the refusal is audited outside any transaction.
   */
  async clientForStaff(actor: Actor, m: EntityManager, by: { id: number } | { publicId: string }, action: string, what = 'Client'): Promise<ClientRef> {
    const { id } = await this.deps.clients.access.check(actor, by, 'archive', { m, action, notFound: notFound(what) });
    return (await this.clientRef(m, { id }))!;
  }

  seal(value: unknown, aadText: string): Buffer {
    return this.deps.cipher.encryptJson(value, aadText);
  }

  /** A stored value that cannot be decrypted reads as null and is logged (never crashes a read). */
  open<T>(blob: Buffer | null | undefined, aadText: string, where: Record<string, unknown>): T | null {
    if (!blob) return null;
    try {
      return JSON.parse(this.deps.cipher.decrypt(blob, aadText)) as T;
    } catch {
      // No error object in the line: a JSON parse error quotes the plaintext.
      this.deps.logger.error({ ...where, column: aadText.split(':').pop() }, 'stored value cannot be decrypted; answered as null');
      return null;
    }
  }

  /** The client's name for staff lists; null when absent or unreadable. */
  clientName(publicId: string, nameEnc: Buffer | null): string | null {
    return readClientField(this.deps.cipher, publicId, 'name', nameEnc, () => {
      this.deps.logger.error({ client: publicId, column: 'name' }, 'stored value cannot be decrypted; answered as null');
    });
  }

  /** Public id and display name of staff members by internal id. */
  async staffRefs(m: EntityManager, ids: (number | null)[]): Promise<Map<number, StaffRef>> {
    const wanted = [...new Set(ids.filter((i): i is number => i !== null))];
    if (!wanted.length) return new Map();
    const rows: { id: number; public_id: string; display_name: string }[] = await m.query(
      `SELECT id, public_id, display_name FROM staff WHERE id IN (${wanted.map(() => '?').join(',')})`, wanted,
    );
    return new Map(rows.map((r) => [Number(r.id), { id: r.public_id, name: r.display_name }]));
  }
}
