import type { EntityManager } from 'typeorm';
import type { FieldCipher } from '../../shared/crypto';

/** Where the bytes of a photo live, encrypted: the one storage interface the photos service uses. */
export interface PhotoStore {
  /** Stores a photo's bytes in the caller's transaction. */
  put(m: EntityManager, photo: StoredPhotoRef, bytes: Buffer): Promise<void>;
  /** The photo's bytes, decrypted; null when none are stored. */
  get(m: EntityManager, photo: StoredPhotoRef): Promise<Buffer | null>;
  /** Erases the bytes of these photos in the caller's transaction. */
  remove(m: EntityManager, photoIds: number[]): Promise<void>;
}

export interface StoredPhotoRef {
  id: number;
  publicId: string;
}

/** The associated data binding a photo's ciphertext to its photo (a blob moved to another row fails to decrypt). */
export const photoAad = (photoPublicId: string) => `progress_photos:${photoPublicId}:data`;

/**
 * The photos in MariaDB, AES-256-GCM under the data keys. Chosen over the filesystem: the photo
 * is written and erased in the same transaction as its row and as the account's deletion (no
 * orphan file after a failed request), every stateless API instance reads it without a shared
 * volume, the database backup and the key rotation cover it, and the data export reads one place.
 * The cost — database size — is bounded by CARE_PHOTO_MAX_BYTES and a few photos per step.
 */
export class MariaDbPhotoStore implements PhotoStore {
  constructor(private readonly cipher: FieldCipher) {}

  async put(m: EntityManager, photo: StoredPhotoRef, bytes: Buffer): Promise<void> {
    await m.query('INSERT INTO progress_photo_blobs (photo_id, data_enc) VALUES (?, ?)', [photo.id, this.cipher.encryptBytes(bytes, photoAad(photo.publicId))]);
  }

  async get(m: EntityManager, photo: StoredPhotoRef): Promise<Buffer | null> {
    const [row]: { data_enc: Buffer }[] = await m.query('SELECT data_enc FROM progress_photo_blobs WHERE photo_id = ?', [photo.id]);
    return row ? this.cipher.decryptBytes(row.data_enc, photoAad(photo.publicId)) : null;
  }

  async remove(m: EntityManager, photoIds: number[]): Promise<void> {
    if (photoIds.length) await m.query('DELETE FROM progress_photo_blobs WHERE photo_id IN (?)', [photoIds]);
  }
}
