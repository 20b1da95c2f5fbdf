import { InitialSchema1795365676285 } from './1795365676285-InitialSchema';
import { PointsAndRewards1795366173271 } from './1795366173271-PointsAndRewards';
import { OutboxTagsStages1795390000000 } from './1795390000000-OutboxTagsStages';
import { ProjectsAndOrders1795400000000 } from './1795400000000-ProjectsAndOrders';
import { Referrals1795400100000 } from './1795400100000-Referrals';
import { Questionnaires1795400200000 } from './1795400200000-Questionnaires';
import { Consultations1795400300000 } from './1795400300000-Consultations';
import { DeliveryAndWorklist1795400400000 } from './1795400400000-DeliveryAndWorklist';
import { Contacts1795400500000 } from './1795400500000-Contacts';
import { FeedbackAndCommunity1795400600000 } from './1795400600000-FeedbackAndCommunity';
import { Care1795400700000 } from './1795400700000-Care';
import { Rfm1795400800000 } from './1795400800000-Rfm';
import { ReferralIneligible1795400900000 } from './1795400900000-ReferralIneligible';
import { ReviewIndexes1795401000000 } from './1795401000000-ReviewIndexes';
import { PhotoRequestTexts1795401100000 } from './1795401100000-PhotoRequestTexts';
import { OrdersClientCovering1795401200000 } from './1795401200000-OrdersClientCovering';
import { SurveyInvitations1795401300000 } from './1795401300000-SurveyInvitations';
import { DataExportsExpiresIndex1795401400000 } from './1795401400000-DataExportsExpiresIndex';
import { AuditHashChain1795510000000 } from './1795510000000-AuditHashChain';
import { StoredValue1795630000000 } from './1795630000000-StoredValue';
import { ProgressPhotos1795630100000 } from './1795630100000-ProgressPhotos';
import { ClientNotes1795560000000 } from './1795560000000-ClientNotes';
import { Imports1795660000000 } from './1795660000000-Imports';
import { EncryptFreeText1795520000000 } from './1795520000000-EncryptFreeText';
import { CommunityPostEdits1795540000000 } from './1795540000000-CommunityPostEdits';
import { WeComCallbacks1795570000000 } from './1795570000000-WeComCallbacks';
import { WeComContactWays1795570100000 } from './1795570100000-WeComContactWays';
import { WeComEventLease1795570200000 } from './1795570200000-WeComEventLease';
import { MarketingSpend1795590000000 } from './1795590000000-MarketingSpend';
import { RuleVouchers1795620000000 } from './1795620000000-RuleVouchers';
import { CaseCompensation1795620100000 } from './1795620100000-CaseCompensation';
import { ReferralPrizeRuns1795620200000 } from './1795620200000-ReferralPrizeRuns';
import { Treatments1795580000000 } from './1795580000000-Treatments';
import { PhotorejuvenationEffect1795580100000 } from './1795580100000-PhotorejuvenationEffect';
import { TreatmentAdvice1795580200000 } from './1795580200000-TreatmentAdvice';
import { ProjectRepurchaseLead1795675000000 } from './1795675000000-ProjectRepurchaseLead';
import { DoctorSchedules1795610000000 } from './1795610000000-DoctorSchedules';
import { RoiRollup1795650000000 } from './1795650000000-RoiRollup';
import { ReportSummaries1795650100000 } from './1795650100000-ReportSummaries';
import { ReferralStatusConsent1795540100000 } from './1795540100000-ReferralStatusConsent';
import { StaffTotp1795510100000 } from './1795510100000-StaffTotp';
import { WeComTagsAndSendTasks1795640000000 } from './1795640000000-WeComTagsAndSendTasks';
import { WeComWorkNotices1795690000000 } from './1795690000000-WeComWorkNotices';
import { EncryptKeyAnswers1795790000000 } from './1795790000000-EncryptKeyAnswers';
import { AuditChainOffRequest1795760000000 } from './1795760000000-AuditChainOffRequest';
import { ReferralStoredValueBase1795810000000 } from './1795810000000-ReferralStoredValueBase';
import { OutboxSendStarted1795720000000 } from './1795720000000-OutboxSendStarted';
import { ImportHeartbeat1795770000000 } from './1795770000000-ImportHeartbeat';

/** Every migration, oldest first. A committed migration is never edited; add new ones at the end. */
export const migrations: Function[] = [
  InitialSchema1795365676285,
  PointsAndRewards1795366173271,
  OutboxTagsStages1795390000000,
  ProjectsAndOrders1795400000000,
  Referrals1795400100000,
  Questionnaires1795400200000,
  Consultations1795400300000,
  DeliveryAndWorklist1795400400000,
  Contacts1795400500000,
  FeedbackAndCommunity1795400600000,
  Care1795400700000,
  Rfm1795400800000,
  ReferralIneligible1795400900000,
  ReviewIndexes1795401000000,
  PhotoRequestTexts1795401100000,
  OrdersClientCovering1795401200000,
  SurveyInvitations1795401300000,
  DataExportsExpiresIndex1795401400000,
  AuditHashChain1795510000000,
  ClientNotes1795560000000,
  EncryptFreeText1795520000000,
  CommunityPostEdits1795540000000,
  WeComCallbacks1795570000000,
  WeComContactWays1795570100000,
  WeComEventLease1795570200000,
  ReferralStatusConsent1795540100000,
  StaffTotp1795510100000,
  MarketingSpend1795590000000,
  Treatments1795580000000,
  PhotorejuvenationEffect1795580100000,
  TreatmentAdvice1795580200000,
  ProjectRepurchaseLead1795675000000,
  DoctorSchedules1795610000000,
  RoiRollup1795650000000,
  ReportSummaries1795650100000,
  RuleVouchers1795620000000,
  CaseCompensation1795620100000,
  ReferralPrizeRuns1795620200000,
  StoredValue1795630000000,
  ProgressPhotos1795630100000,
  Imports1795660000000,
  WeComTagsAndSendTasks1795640000000,
  WeComWorkNotices1795690000000,
  EncryptKeyAnswers1795790000000,
  AuditChainOffRequest1795760000000,
  ReferralStoredValueBase1795810000000,
  OutboxSendStarted1795720000000,
  ImportHeartbeat1795770000000,
];
