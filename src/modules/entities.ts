import { Client, ClientTouch, Consent, DataExport, MedicalRecord } from './clients/clients.entity';
import { Staff } from './staff/staff.entity';
import { AuditEntry } from './audit/audit.entity';
import { PointsAccount, PointsEntry } from './points/points.entity';
import { RewardItem, Voucher } from './rewards/rewards.entity';
import { OutboxMessage } from './outbox/outbox.entity';
import { ClientTag } from './tags/tags.entity';
import { ClientStageEvent } from './journey/journey.entity';
import { Order, OrderItem, OrderRefund, Project } from './orders/orders.entity';
import { CashbackAccount, CashbackEntry, ReferralBinding, ReferralIneligible, ReferralReward } from './referrals/referrals.entity';
import { BindingCode, InboundMessage, WeComContact } from './contacts/contacts.entity';
import { FeedbackCase, SatisfactionSurvey } from './feedback/feedback.entity';
import { CommunityPost, PostDelivery, PostEdit } from './community/community.entity';
import { FollowupStep, FollowupTemplate, Treatment } from './care/care.entity';
import { ClientRfm, DormantAction } from './rfm/rfm.entity';
import { StaffTask } from './worklist/worklist.entity';
import { SchedulerRun } from '../scheduler/run.entity';
import { SubscriptionCredit } from './delivery/delivery.entity';
import { ClientIntent, QuestionnaireDraft, QuestionnaireResponse, QuestionnaireTemplate, QuestionnaireVersion } from './questionnaires/questionnaires.entity';
import { ClientNote } from './notes/notes.entity';
import { WeComCallbackEvent, WeComContactWay, WeComCorpTag, WeComExternalContact, WeComSendTask, WeComSendTaskItem, WeComStaffUser } from './wecom/wecom.entity';
import { MarketingSpend } from './marketing/marketing.entity';
import { Appointment, AppointmentEvent, IntentLetter, Plan, PlanComment, PlanRevision } from './consultations/consultations.entity';

/** Every entity the DataSource knows; add a module's entities here. */
export const entities = [Client, ClientTouch, Consent, MedicalRecord, DataExport, Staff, AuditEntry, PointsAccount, PointsEntry, RewardItem, Voucher, OutboxMessage, ClientTag, ClientStageEvent, Project, Order, OrderItem, OrderRefund, ReferralBinding, ReferralReward, CashbackAccount, CashbackEntry, WeComContact, BindingCode, InboundMessage, SatisfactionSurvey, FeedbackCase, CommunityPost, PostDelivery, FollowupTemplate, FollowupStep, Treatment, ClientRfm, DormantAction, StaffTask, SchedulerRun, SubscriptionCredit, QuestionnaireTemplate, QuestionnaireVersion, QuestionnaireDraft, QuestionnaireResponse, ClientIntent, Plan, PlanRevision, PlanComment, IntentLetter, Appointment, AppointmentEvent, ReferralIneligible, ClientNote, PostEdit, WeComCallbackEvent, WeComExternalContact, WeComStaffUser, WeComContactWay, WeComCorpTag, WeComSendTask, WeComSendTaskItem, MarketingSpend];
