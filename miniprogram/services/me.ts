/** 我的: profile, phone, consents, export, account deletion, WeCom binding code. */
import { request } from '../utils/request';
import { session } from '../utils/session';
import { POLICY } from '../utils/policy';
import { ageOn } from '../utils/format';
import type { ApiBody, ApiOk } from './api';

export type Profile = ApiOk<'/api/mp/me'>;
export type Gender = Profile['gender'];
export type ConsentPurpose = keyof Profile['consents'];
/** For the policy version in force now (`current`). */
export type ConsentSummaryItem = NonNullable<Profile['consents'][ConsentPurpose]>;
export type ProfileUpdate = ApiBody<'/api/mp/me', 'patch'>;
export type Consent = ApiOk<'/api/mp/me/consents', 'post'>;
export type BindingCode = ApiOk<'/api/mp/wecom/binding-code'>;
export type ExportCreated = ApiOk<'/api/mp/me/exports', 'post'>;

export function getProfile(): Promise<Profile> {
  return request<Profile>({ path: '/api/mp/me' });
}

export function updateProfile(patch: ProfileUpdate): Promise<Profile> {
  return request<Profile>({ method: 'PATCH', path: '/api/mp/me', data: patch, idempotent: true });
}

/** Binds the phone number behind a getPhoneNumber button's code; answers the masked number. */
export function bindPhone(code: string): Promise<ApiOk<'/api/mp/me/phone', 'post'>> {
  return request<ApiOk<'/api/mp/me/phone', 'post'>>({ method: 'POST', path: '/api/mp/me/phone', data: { code } });
}

export function listConsents(): Promise<ApiOk<'/api/mp/me/consents'>> {
  return request<ApiOk<'/api/mp/me/consents'>>({ path: '/api/mp/me/consents' });
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

export function withdrawConsent(purpose: ConsentPurpose): Promise<ApiOk<'/api/mp/me/consents/{purpose}', 'delete'>> {
  return request<ApiOk<'/api/mp/me/consents/{purpose}', 'delete'>>({ method: 'DELETE', path: `/api/mp/me/consents/${purpose}`, idempotent: true });
}

export function createExport(): Promise<ExportCreated> {
  return request<ExportCreated>({ method: 'POST', path: '/api/mp/me/exports' });
}

export function getExport(id: string): Promise<ApiOk<'/api/mp/me/exports/{id}'>> {
  return request<ApiOk<'/api/mp/me/exports/{id}'>>({ path: `/api/mp/me/exports/${encodeURIComponent(id)}` });
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
