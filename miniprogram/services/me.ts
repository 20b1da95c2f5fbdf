/** 我的: profile, phone, consents, export, account deletion, WeCom binding code. */
import { request } from '../utils/request';
import { session } from '../utils/session';
import { POLICY } from '../utils/policy';
import { ageOn } from '../utils/format';

export type Gender = 'unknown' | 'female' | 'male';
export type ConsentPurpose = 'privacy' | 'health' | 'guardian';

export interface ConsentSummaryItem {
  policyVersion: string;
  /** For the policy version in force now. */
  current: boolean;
}

export interface Profile {
  id: string;
  name: string | null;
  gender: Gender;
  birthDate: string | null;
  /** Masked: 138****5678 */
  phone: string | null;
  address: string | null;
  referralCode: string;
  stage: string;
  consents: Record<ConsentPurpose, ConsentSummaryItem | null>;
}

export interface ProfileUpdate {
  name?: string;
  gender?: Gender;
  birthDate?: string | null;
  address?: string | null;
}

export interface Consent {
  id: string;
  purpose: ConsentPurpose;
  policyVersion: string;
  current: boolean;
  guardianName: string | null;
  guardianRelation: string | null;
  grantedAt: string;
  withdrawnAt: string | null;
}

export interface BindingCode {
  code: string;
  expiresAt: string;
  bound: boolean;
  instructions: string;
}

export interface ExportCreated {
  id: string;
  expiresAt: string;
}

export function getProfile(): Promise<Profile> {
  return request<Profile>({ path: '/api/mp/me' });
}

export function updateProfile(patch: ProfileUpdate): Promise<Profile> {
  return request<Profile>({ method: 'PATCH', path: '/api/mp/me', data: patch, idempotent: true });
}

/** Binds the phone number behind a getPhoneNumber button's code; answers the masked number. */
export function bindPhone(code: string): Promise<{ phone: string }> {
  return request<{ phone: string }>({ method: 'POST', path: '/api/mp/me/phone', data: { code } });
}

export function listConsents(): Promise<Consent[]> {
  return request<Consent[]>({ path: '/api/mp/me/consents' });
}

/** Gives a consent for the version this build shows (granting again is harmless). */
export function grantConsent(purpose: ConsentPurpose, guardian?: { guardianName: string; guardianRelation: string }): Promise<Consent> {
  return request<Consent>({
    method: 'POST',
    path: '/api/mp/me/consents',
    data: { purpose, policyVersion: POLICY[purpose].version, ...(purpose === 'guardian' ? guardian : {}) },
    idempotent: purpose !== 'guardian',
  });
}

export function withdrawConsent(purpose: ConsentPurpose): Promise<{ withdrawn: number }> {
  return request<{ withdrawn: number }>({ method: 'DELETE', path: `/api/mp/me/consents/${purpose}`, idempotent: true });
}

export function createExport(): Promise<ExportCreated> {
  return request<ExportCreated>({ method: 'POST', path: '/api/mp/me/exports' });
}

export function getExport(id: string): Promise<Record<string, unknown>> {
  return request<Record<string, unknown>>({ path: `/api/mp/me/exports/${encodeURIComponent(id)}` });
}

/** Deletes the account (personal data erased, legal evidence kept) and forgets the session. */
export async function deleteAccount(): Promise<void> {
  await request<void>({ method: 'DELETE', path: '/api/mp/me', data: { confirm: true } });
  session.clearToken();
}

export function getBindingCode(): Promise<BindingCode> {
  return request<BindingCode>({ path: '/api/mp/wecom/binding-code' });
}

/** Which consents are in place for the versions in force, and whether a guardian must consent first. */
export interface ConsentState {
  privacy: boolean;
  health: boolean;
  guardian: boolean;
  /** Under 14 (from the birth date); unknown birth date → undefined. */
  minor: boolean | undefined;
}

export function consentState(p: Profile): ConsentState {
  const age = p.birthDate ? ageOn(p.birthDate) : undefined;
  return {
    privacy: Boolean(p.consents?.privacy?.current),
    health: Boolean(p.consents?.health?.current),
    guardian: Boolean(p.consents?.guardian?.current),
    minor: age === undefined ? undefined : age < POLICY.guardianAgeUnder,
  };
}

/**
 * For pages that ask health questions: resolves true when the privacy and health consents (and
 * a guardian's, under 14) are in place. Otherwise opens the consent flow, which comes back to
 * `returnTo` when done, and resolves false (the caller stops loading).
 */
export async function requireHealthConsent(returnTo: string): Promise<boolean> {
  const state = consentState(await getProfile());
  if (state.privacy && state.health && (!state.minor || state.guardian)) return true;
  wx.redirectTo({ url: `/packageMe/privacy/index?next=${encodeURIComponent(returnTo)}` });
  return false;
}
