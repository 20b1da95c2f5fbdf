import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One-time subscription credits a client granted in the mini-program (wx.requestSubscribeMessage:
 * each 'accept' allows one subscribe message of that template). Spent by a conditional UPDATE
 * before the message is sent; WeChat's 43101 (refused) sets them to 0.
 */
@Entity({ name: 'subscription_credits' })
export class SubscriptionCredit {
  @PrimaryColumn({ name: 'client_id', type: 'int', unsigned: true })
  clientId!: number;

  @PrimaryColumn({ name: 'template_id', type: 'varchar', length: 64 })
  templateId!: string;

  @Column({ type: 'int', unsigned: true, default: 0 })
  credits!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
