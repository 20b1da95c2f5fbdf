import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One stage change of a client, with its time: the pipeline's metrics are computed from these. */
@Entity({ name: 'client_stage_events' })
@Index('ix_stage_events_client', ['clientId', 'at'])
@Index('ix_stage_events_stage', ['toStage', 'at'])
export class ClientStageEvent {
  @PrimaryGeneratedColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @Column({ name: 'from_stage', type: 'varchar', length: 24, nullable: true })
  fromStage!: string | null;

  @Column({ name: 'to_stage', type: 'varchar', length: 24 })
  toStage!: string;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ name: 'actor_type', type: 'varchar', length: 8 })
  actorType!: string;

  @Column({ name: 'actor_id', type: 'int', unsigned: true, nullable: true })
  actorId!: number | null;

  /** Why: 'questionnaire', 'plan', 'order', 'staff', 'rfm' … */
  @Column({ type: 'varchar', length: 32, nullable: true })
  reason!: string | null;
}
