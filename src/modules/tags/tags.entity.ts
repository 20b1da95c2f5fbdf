import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Tag dimensions mirrored onto the WeCom contact, one group per dimension. */
export const TAG_DIMENSIONS = ['project', 'stage', 'value_tier', 'lead_grade', 'rfm'] as const;
export type TagDimension = (typeof TAG_DIMENSIONS)[number];

/** A client's dynamic tag (DOMAIN.md, client archive): project interest, stage, value tier … */
@Entity({ name: 'client_tags' })
@Index('ix_client_tags_value', ['dimension', 'value'])
export class ClientTag {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @PrimaryColumn({ type: 'varchar', length: 24 })
  dimension!: TagDimension;

  @PrimaryColumn({ type: 'varchar', length: 48 })
  value!: string;

  /** What set it: 'questionnaire', 'stage', 'staff', 'rfm' … */
  @Column({ type: 'varchar', length: 24 })
  source!: string;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3, default: () => 'CURRENT_TIMESTAMP(3)' })
  createdAt!: Date;
}
