import { reactive } from 'vue';

export type Role = 'director' | 'doctor' | 'consultant' | 'customer_service';
export interface StaffMe { id: string; username: string; displayName: string; role: Role }

export const ROLE_LABELS: Record<Role, string> = { director: '院长', doctor: '医师', consultant: '咨询师', customer_service: '客服' };

const KEY = 'meiyan.console.session';

/** The signed-in staff member; kept in localStorage so tabs share it, dropped on logout or when the API answers 401. */
export const session = reactive<{ token: string | null; staff: StaffMe | null }>(read());

function read(): { token: string | null; staff: StaffMe | null } {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    if (raw) return JSON.parse(raw) as { token: string; staff: StaffMe };
  } catch {
    // A damaged entry is a logged-out session.
  }
  return { token: null, staff: null };
}

export function signIn(token: string, staff: StaffMe): void {
  session.token = token;
  session.staff = staff;
  globalThis.localStorage?.setItem(KEY, JSON.stringify({ token, staff }));
}

export function signOut(): void {
  session.token = null;
  session.staff = null;
  globalThis.localStorage?.removeItem(KEY);
}

let onExpired: (() => void) | null = null;
/** What to do when the API says the session is gone (the router sends the user to login and back). */
export function whenSessionExpires(fn: () => void): void {
  onExpired = fn;
}
export function sessionExpired(): void {
  signOut();
  onExpired?.();
}

let onEnrolment: (() => void) | null = null;
/** What to do when the API says this session may only enrol TOTP (a role that must have it, without it yet). */
export function whenEnrolmentRequired(fn: () => void): void {
  onEnrolment = fn;
}
export function enrolmentRequired(): void {
  onEnrolment?.();
}
