import { Client, ClientTouch, Consent, DataExport, MedicalRecord } from './clients/clients.entity';
import { Staff } from './staff/staff.entity';
import { AuditEntry } from './audit/audit.entity';
import { PointsAccount, PointsEntry } from './points/points.entity';
import { RewardItem, Voucher } from './rewards/rewards.entity';
import { OutboxMessage } from './outbox/outbox.entity';
import { ClientTag } from './tags/tags.entity';
import { ClientStageEvent } from './journey/journey.entity';

/** Every entity the DataSource knows; add a module's entities here. */
export const entities = [Client, ClientTouch, Consent, MedicalRecord, DataExport, Staff, AuditEntry, PointsAccount, PointsEntry, RewardItem, Voucher, OutboxMessage, ClientTag, ClientStageEvent];
