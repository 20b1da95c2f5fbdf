import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { publicId } from '../../shared/crypto';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { PhotoStepView } from '../care';
import { PhotoErrors } from './photos.errors';
import { cleanImage } from './photos.image';
import type { PhotoStore } from './photos.store';

/** The care module as photos need it: the client's effect-tracking steps that ask for a photo. */
export interface PhotoSteps {
  photoStepsOf(m: EntityManager, clientId: number, treatment?: { publicId: string; step: string }): Promise<PhotoStepView[]>;
}

/** The clients module as photos need it: health data only with the health consent. */
export interface HealthConsentRule {
  requireHealthConsent(m: EntityManager, clientId: number, birthDate: string | null): Promise<void>;
}

export interface PhotosDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  store: PhotoStore;
  steps: PhotoSteps;
  consent: HealthConsentRule;
  /** CARE_PHOTO_MAX_BYTES. */
  maxBytes: number;
  logger: Logger;
}

export interface PhotoView {
  id: string;
  treatment: string;
  step: string;
  contentType: string;
  sizeBytes: number;
  createdAt: Date;
}

/** One effect-tracking step with its photos: what the client is asked for, and what staff compare side by side. */
export interface PhotoStepWithPhotos extends PhotoStepView {
  /** Uploads are open once the step is due. */
  open: boolean;
  photos: PhotoView[];
}

interface PhotoRow {
  id: number;
  public_id: string;
  client_id: number;
  treatment_public_id: string;
  step: string;
  content_type: string;
  size_bytes: number;
  created_at: Date;
}

// A few angles per step (front, left, right…), not an album.
export const PHOTOS_PER_STEP = 6;

const view = (r: PhotoRow): PhotoView => ({
  id: r.public_id, treatment: r.treatment_public_id, step: r.step, contentType: r.content_type, sizeBytes: Number(r.size_bytes), createdAt: r.created_at,
});

/**
 * Progress photos 术后对比 of the 1/3/6-month effect-tracking steps: uploaded by the client in the
 * mini-program, recognised by their bytes, stripped of metadata (EXIF GPS), stored encrypted, shown
 * only to the client, doctors and the director (the access rule's health scope), audited, erased
 * with the account or the health consent. Never a source for community posts: no route or method
 * hands a photo to anything but the client and clinical staff.
 */
export class PhotosService {
  constructor(private readonly deps: PhotosDeps) {}

  readonly clientDataHooks = {
    onAccountDeleted: (m: EntityManager, clientId: number): Promise<void> => this.eraseOfClient(m, clientId),
    // Post-op photos are health data: withdrawing the health consent erases them.
    onHealthWithdrawn: (m: EntityManager, clientId: number): Promise<void> => this.eraseOfClient(m, clientId),
    /** The client's export: each photo's metadata and the path the client fetches it from (the bytes would not fit an export). */
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => ({
      progressPhotos: (await this.rowsOf(m, clientId)).map((r) => ({ ...view(r), path: `/api/mp/photos/${r.public_id}` })),
    }),
  };

  get maxBytes(): number {
    return this.deps.maxBytes;
  }

  /**
   * Stores a photo for one of the client's effect-tracking steps: refused when it is not a JPEG,
   * PNG or WebP by its bytes, too large, malformed, for a step not the client's or not yet due, or
   * past PHOTOS_PER_STEP; metadata is stripped before encryption. Audited 'photo.upload'.
   */
  async upload(actor: Actor, clientId: number, target: { treatment: string; step: string }, bytes: Buffer): Promise<PhotoView> {
    if (bytes.length > this.deps.maxBytes) throw tooLarge(this.deps.maxBytes);
    const cleaned = cleanImage(bytes);
    if (!cleaned.ok) {
      throw new AppError(PhotoErrors.PHOTO_NOT_AN_IMAGE, 'Send a JPEG, PNG or WebP photo', { field: 'body', reason: cleaned.reason });
    }
    return runInTransaction(this.deps.db, async (m) => {
      // The client row's lock serialises one client's uploads (the per-step limit is exact).
      const [client]: { birth_date: string | null }[] = await m.query("SELECT birth_date FROM clients WHERE id = ? AND status = 'active' FOR UPDATE", [clientId]);
      if (!client) throw notFound('Client');
      await this.deps.consent.requireHealthConsent(m, clientId, client.birth_date);
      const [step] = await this.deps.steps.photoStepsOf(m, clientId, { publicId: target.treatment, step: target.step });
      if (!step) throw new AppError('NOT_FOUND', 'No such effect-tracking step', { field: 'query.treatment' });
      const now = this.deps.clock.now();
      if (step.dueAt.getTime() > now.getTime()) {
        throw new AppError(PhotoErrors.PHOTO_STEP_NOT_DUE, 'This effect-tracking step is not due yet', { field: 'query.step', dueAt: step.dueAt });
      }
      const [{ n }] = await m.query('SELECT COUNT(*) AS n FROM progress_photos WHERE client_id = ? AND treatment_public_id = ? AND step = ?', [clientId, target.treatment, target.step]);
      if (Number(n) >= PHOTOS_PER_STEP) throw new AppError(PhotoErrors.PHOTO_STEP_FULL, `At most ${PHOTOS_PER_STEP} photos a step`, { field: 'query.step', max: PHOTOS_PER_STEP });

      const id = publicId();
      const res = await m.query(
        `INSERT INTO progress_photos (public_id, client_id, treatment_public_id, step, content_type, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [id, clientId, target.treatment, target.step, cleaned.type, cleaned.bytes.length, now],
      );
      await this.deps.store.put(m, { id: Number(res.insertId), publicId: id }, cleaned.bytes);
      await this.deps.audit.record(actor, 'photo.upload', {
        clientId, details: { photo: id, step: target.step, contentType: cleaned.type, sizeBytes: cleaned.bytes.length, metadataRemoved: cleaned.removed },
      }, m);
      this.deps.logger.info({ clientId, photo: id, step: target.step, sizeBytes: cleaned.bytes.length, metadataRemoved: cleaned.removed.length }, 'progress photo stored');
      return view({ id: Number(res.insertId), public_id: id, client_id: clientId, treatment_public_id: target.treatment, step: target.step, content_type: cleaned.type, size_bytes: cleaned.bytes.length, created_at: now });
    });
  }

  /** The client's own steps with their photos, soonest due first. */
  async ownSteps(clientId: number): Promise<PhotoStepWithPhotos[]> {
    return this.stepsWithPhotos(clientId);
  }

  /** The bytes of the client's own photo (404 for anyone else's). */
  async ownImage(clientId: number, photoPublicId: string): Promise<{ bytes: Buffer; contentType: string }> {
    const row = await this.row(photoPublicId);
    if (!row || Number(row.client_id) !== clientId) throw notFound('Photo');
    return this.image(row);
  }

  /** The client deletes one of their photos. Audited 'photo.delete'. */
  async deleteOwn(actor: Actor, clientId: number, photoPublicId: string): Promise<void> {
    await runInTransaction(this.deps.db, async (m) => {
      const [row]: PhotoRow[] = await m.query('SELECT * FROM progress_photos WHERE public_id = ? AND client_id = ? FOR UPDATE', [photoPublicId, clientId]);
      if (!row) throw notFound('Photo');
      await this.deps.store.remove(m, [Number(row.id)]);
      await m.query('DELETE FROM progress_photos WHERE id = ?', [row.id]);
      await this.deps.audit.record(actor, 'photo.delete', { clientId, details: { photo: photoPublicId } }, m);
    });
  }

  /** A client's steps and photos for doctors and the director (health scope). Audited 'photo.list'. */
  async stepsForStaff(actor: Actor, clientPublicId: string): Promise<PhotoStepWithPhotos[]> {
    const client = await new ClientAccess(this.deps).check(actor, { publicId: clientPublicId }, 'health', { action: 'photo.list' });
    await this.deps.audit.record(actor, 'photo.list', { clientId: client.id });
    return this.stepsWithPhotos(client.id);
  }

  /** One photo's bytes for doctors and the director (health scope). Audited 'photo.view'. */
  async imageForStaff(actor: Actor, photoPublicId: string): Promise<{ bytes: Buffer; contentType: string }> {
    const row = await this.row(photoPublicId);
    if (!row) throw notFound('Photo');
    await new ClientAccess(this.deps).check(actor, { id: Number(row.client_id) }, 'health', { action: 'photo.view', notFound: notFound('Photo') });
    await this.deps.audit.record(actor, 'photo.view', { clientId: Number(row.client_id), details: { photo: photoPublicId } });
    return this.image(row);
  }

  private async stepsWithPhotos(clientId: number): Promise<PhotoStepWithPhotos[]> {
    const m = this.deps.db.manager;
    const [steps, rows] = await Promise.all([this.deps.steps.photoStepsOf(m, clientId), this.rowsOf(m, clientId)]);
    const now = this.deps.clock.now().getTime();
    return steps.map((s) => ({
      ...s,
      open: s.dueAt.getTime() <= now,
      photos: rows.filter((r) => r.treatment_public_id === s.treatment && r.step === s.step).map(view),
    }));
  }

  private async image(row: PhotoRow): Promise<{ bytes: Buffer; contentType: string }> {
    const bytes = await this.deps.store.get(this.deps.db.manager, { id: Number(row.id), publicId: row.public_id });
    if (!bytes) throw notFound('Photo');
    return { bytes, contentType: row.content_type };
  }

  private async row(photoPublicId: string): Promise<PhotoRow | null> {
    const [row]: PhotoRow[] = await this.deps.db.query('SELECT * FROM progress_photos WHERE public_id = ?', [photoPublicId]);
    return row ?? null;
  }

  private rowsOf(m: EntityManager, clientId: number): Promise<PhotoRow[]> {
    return m.query('SELECT * FROM progress_photos WHERE client_id = ? ORDER BY created_at, id', [clientId]);
  }

  private async eraseOfClient(m: EntityManager, clientId: number): Promise<void> {
    const rows: { id: number }[] = await m.query('SELECT id FROM progress_photos WHERE client_id = ? FOR UPDATE', [clientId]);
    await this.deps.store.remove(m, rows.map((r) => Number(r.id)));
    await m.query('DELETE FROM progress_photos WHERE client_id = ?', [clientId]);
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError(PhotoErrors.PHOTO_TOO_LARGE, `A photo may be at most ${maxBytes} bytes`, { field: 'body', maxBytes });
}
