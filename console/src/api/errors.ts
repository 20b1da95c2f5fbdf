import { OPERATION_ROLES } from './roles';
import { ROLE_LABELS, type Role } from '@/composables/session';

export interface FieldProblem { field: string; message: string; type?: string }

/** An API refusal as the console shows it: never a stack, the request id for support, field errors by field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly requestId: string | null,
    readonly neededRoles: readonly string[] | null = null,
  ) {
    super(message);
  }

  /** Field problems keyed by the field's last path segment (`body.phone` → `phone`). */
  get fields(): Record<string, string> {
    return fieldErrors(this.details);
  }
}

const FIELD_MESSAGES: Record<string, string> = {
  'any.required': '必填',
  'string.empty': '必填',
  'string.pattern.base': '格式不正确',
  'string.max': '太长了',
  'string.min': '太短了',
  'number.min': '数值太小',
  'number.max': '数值太大',
  'any.only': '不是可选的值',
};

export function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = Array.isArray(details) ? details : details && typeof details === 'object' && 'field' in details ? [details] : [];
  for (const d of list as FieldProblem[]) {
    if (!d || typeof d.field !== 'string') continue;
    const key = d.field.split('.').slice(1).join('.') || d.field;
    out[key] = (d.type && FIELD_MESSAGES[d.type]) ?? d.message ?? '不正确';
  }
  return out;
}

/** The roles a staff operation admits, from the generated table (path templates matched against the URL). */
export function rolesFor(method: string, pathname: string): readonly string[] | null {
  for (const [op, roles] of Object.entries(OPERATION_ROLES)) {
    const [m, template] = op.split(' ');
    if (m !== method.toUpperCase()) continue;
    const re = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(pathname)) return roles;
  }
  return null;
}

/** What a person reads for an error: the refusal's meaning in Chinese, never a stack or SQL. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return '网络异常，请检查网络后重试';
  if (err.status === 403) {
    const roles = (err.neededRoles ?? []).map((r) => ROLE_LABELS[r as Role] ?? r);
    return roles.length ? `没有权限：需要${roles.join('、')}角色` : '没有权限执行此操作';
  }
  if (err.status === 404) return '未找到，或您无权查看';
  if (err.status === 409) return `操作冲突：${err.message}`;
  if (err.status === 429) return '操作太频繁，请稍后再试';
  if (err.status >= 500) return `系统繁忙，请稍后再试${err.requestId ? `（请求编号 ${err.requestId}）` : ''}`;
  if (err.code === 'VALIDATION_FAILED') return '请检查标红的输入项';
  return err.message;
}
