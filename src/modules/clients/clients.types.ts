import type { EntityManager } from 'typeorm';
import type { ConsentPurpose, Gender, Touch } from './clients.entity';
import type { AccessScope } from './clients.access';

/** The clients module's shapes: what its use cases take and answer, and the hooks other modules register. */

export interface PastProcedure {
  name: string;
  year?: number;
  satisfied?: boolean;
}
export interface MedicalHistory {
  allergies: string[];
  medications: string[];
  pastProcedures: PastProcedure[];
  conditions: string[];
}
export interface ConsentSummaryItem {
  policyVersion: string;
  /** The consent is for the policy version in force now. */
  current: boolean;
}
export type ConsentSummary = Record<ConsentPurpose, ConsentSummaryItem | null>;

export interface OwnProfile {
  id: string;
  name: string | null;
  gender: Gender;
  birthDate: string | null;
  /** Masked: 138****5678. */
  phone: string | null;
  address: string | null;
  referralCode: string;
  stage: string;
  consents: ConsentSummary;
}

export interface ProfileUpdate {
  name?: string;
  gender?: Gender;
  birthDate?: string | null;
  address?: string | null;
}

export interface ConsentView {
  id: string;
  purpose: ConsentPurpose;
  policyVersion: string;
  current: boolean;
  guardianName: string | null;
  guardianRelation: string | null;
  grantedAt: Date;
  withdrawnAt: Date | null;
}

export interface GrantConsentInput {
  purpose: ConsentPurpose;
  policyVersion: string;
  guardianName?: string;
  guardianRelation?: string;
}

export interface StaffListQuery {
  phone?: string;
  name?: string;
  stage?: string;
  page: number;
  pageSize: number;
}

export interface StaffListItem {
  id: string;
  name: string | null;
  gender: Gender;
  phone: string | null;
  stage: string;
  consultant: { id: string; displayName: string } | null;
  sourceChannel: string | null;
  createdAt: Date;
}

export interface StaffArchive {
  id: string;
  status: string;
  name: string | null;
  gender: Gender;
  birthDate: string | null;
  age: number | null;
  phone: string | null;
  address: string | null;
  referralCode: string;
  stage: string;
  sourceChannel: string | null;
  firstTouch: Touch | null;
  consultant: { id: string; displayName: string } | null;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Paid orders net of refunds (DOMAIN.md, consumption), from the orders module. */
  consumption: { visits: number; lifetimeSpendFen: number; lastVisitAt: string | null };
  consents: ConsentView[];
  /** Doctors and the director only (DOMAIN.md: three-tier access). */
  medical?: MedicalHistory & { updatedAt: Date | null };
  /** The sections of this client the reader may see (client-access rule), so a console shows only those. */
  sections: AccessScope[];
}

export interface StaffClientAssignment {
  id: string;
  stage: string;
  consultant: { id: string; displayName: string } | null;
}

export interface NewClientInput {
  openid: string;
  unionid?: string | null;
  name?: string | null;
  phone?: string | null;
  gender?: Gender;
  birthDate?: string | null;
  address?: string | null;
  consultantId?: number | null;
  referrerId?: number | null;
  stage?: string;
  sourceChannel?: string | null;
  firstTouch?: Touch | null;
  /** Set when the client is created by their first login. */
  lastLoginAt?: Date | null;
}

/**
 * Client data other modules keep (questionnaire answers …), so that the client's rights over the
 * archive reach it too (PIPL): each hook runs inside the same transaction as the change.
 */
export interface ClientDataHooks {
  /** The health consent was withdrawn: erase health data. */
  onHealthWithdrawn?(m: EntityManager, clientId: number): Promise<void>;
  /** The account is being deleted: erase the module's personal data. `former`: the identifiers as they were before the erasure. */
  onAccountDeleted?(m: EntityManager, clientId: number, former: FormerIdentifiers): Promise<void>;
  /** Sections added to the client's own export, keyed by name. */
  exportSections?(m: EntityManager, clientId: number): Promise<Record<string, unknown>>;
}

/** A deleted client's WeChat identity and phone blind index, read before they are erased (for ClientDataHooks). */
export interface FormerIdentifiers {
  openid: string;
  unionid: string | null;
  phoneBidx: string | null;
}

