import { describe, expect, it } from 'vitest';
import { ApiError, describeError, fieldErrors, rolesFor } from '../src/api/errors';
import { admits } from '../src/router';

describe('API refusals as the console shows them', () => {
  it('puts each field problem beside its field', () => {
    expect(fieldErrors([{ field: 'body.phone', message: 'phone must be a phone number', type: 'string.pattern.base' }, { field: 'body.name', message: 'x', type: 'any.required' }]))
      .toEqual({ phone: '格式不正确', name: '必填' });
    expect(fieldErrors({ field: 'body.consultantId' })).toEqual({ consultantId: '不正确' });
    expect(fieldErrors(undefined)).toEqual({});
  });

  it('names the roles a 403 needed, from the generated operation table', () => {
    expect(rolesFor('GET', '/api/staff/audit')).toEqual(['director']);
    expect(rolesFor('GET', '/api/staff/clients/AAAAAAAAAAAAAAAAAAAAAA/medical')).toEqual(['doctor', 'director']);
    const err = new ApiError(403, 'FORBIDDEN', 'Your role may not do this', undefined, 'r1', ['doctor', 'director']);
    expect(describeError(err)).toBe('没有权限：需要医师、院长角色');
  });

  it('never shows a server error’s text, only the request id', () => {
    const err = new ApiError(500, 'INTERNAL', 'ER_DUP_ENTRY at line 3', { stack: 'at x' }, 'req-42');
    expect(describeError(err)).toBe('系统繁忙，请稍后再试（请求编号 req-42）');
  });

  it('shows a menu entry only to the roles the API admits', () => {
    expect(admits('GET /api/staff/leads', 'consultant')).toBe(true);
    expect(admits('GET /api/staff/leads', 'customer_service')).toBe(false);
    expect(admits('GET /api/staff/me', 'customer_service')).toBe(true);
    expect(admits('GET /api/staff/no-such-route', 'director')).toBe(false);
  });
});
