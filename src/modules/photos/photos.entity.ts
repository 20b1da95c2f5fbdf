import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A progress photo 术后对比照 of an effect-tracking step: its metadata (the bytes are in progress_photo_blobs). */
@Entity({ name: 'progress_photos' })
@Index('ix_progress_photos_client', ['clientId', 'createdAt'])
export class ProgressPhoto {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_progress_photos_public_id', { unique: true })
  @Column({ name: 'public_id', type: 'char', length: 22 })
  publicId!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'treatment_public_id', type: 'char', length: 22 })
  treatmentPublicId!: string;

  @Column({ type: 'varchar', length: 32 })
  step!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 16 })
  contentType!: string;

  @Column({ name: 'size_bytes', type: 'int', unsigned: true })
  sizeBytes!: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** The photo's bytes, metadata stripped, encrypted with the data keys (AAD: the photo's public id). */
@Entity({ name: 'progress_photo_blobs' })
export class ProgressPhotoBlob {
  @PrimaryColumn({ name: 'photo_id', type: 'int', unsigned: true })
  photoId!: number;

  @Column({ name: 'data_enc', type: 'mediumblob' })
  dataEnc!: Buffer;
}
