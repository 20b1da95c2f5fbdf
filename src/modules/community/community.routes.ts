import type { ApiRouter } from '../../shared/http/route';
import type { CommunityService } from './community.service';
import { actorFromContext } from '../audit';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import type { PostExports } from './community.export';
import {
  checkBody, complianceView, createBody, deliveriesResponse, idParams, listQuery, pageQuery, postExportQuery, postView, postsResponse, rejectBody, updateBody,
} from './community.schema';

const STAFF = ['staff: community posts'];

/** HTTP ↔ CommunityService. Any staff member writes posts; approver roles (COMMUNITY_APPROVER_ROLES) approve or reject them. */
export function registerCommunityRoutes(api: ApiRouter, s: { community: CommunityService; postExports: PostExports }): void {
  const approvers = s.community.approverRoles;
  api
    .add(
      { method: 'get', path: '/api/staff/community/posts', summary: 'Community posts, newest first', tags: STAFF, auth: 'staff', query: listQuery, response: postsResponse },
      ({ query }) => s.community.list(query),
    )
    .add(
      {
        // Before /:id, which would take "export" for an id.
        method: 'get', path: '/api/staff/community/posts/export', summary: 'The post list as a file (CSV with BOM or xlsx): same status filter, newest first; audited',
        tags: STAFF, auth: 'staff', query: postExportQuery, files: EXPORT_FILES,
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.postExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/posts', summary: 'Write a post (draft) for client groups or for clients with given tags, once or weekly',
        tags: STAFF, auth: 'staff', body: createBody, status: 201, response: postView, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, body }) => s.community.create(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/compliance-check', summary: 'Check wording against the advertising rules without saving (each category with its banned words)',
        tags: STAFF, auth: 'staff', body: checkBody, response: complianceView,
      },
      ({ body }) => s.community.check(body),
    )
    .add(
      { method: 'get', path: '/api/staff/community/posts/:id', summary: 'One post', tags: STAFF, auth: 'staff', params: idParams, response: postView, errors: ['NOT_FOUND'] },
      ({ params }) => s.community.get(params.id),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/community/posts/:id', summary: 'Change a draft or a rejected post (its author or the director; it becomes a draft again; audited)',
        tags: STAFF, auth: 'staff', params: idParams, body: updateBody, response: postView, errors: ['NOT_FOUND', 'POST_STATUS_CONFLICT', 'VALIDATION_FAILED', 'POST_NOT_AUTHOR'],
      },
      ({ ctx, params, body }) => s.community.update(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/posts/:id/submit', summary: 'Submit for approval after the advertising-compliance check (422 names each category and its words)',
        tags: STAFF, auth: 'staff', params: idParams, response: postView, errors: ['NOT_FOUND', 'POST_STATUS_CONFLICT', 'POST_NOT_COMPLIANT', 'POST_NOT_AUTHOR'],
      },
      ({ ctx, params }) => s.community.submit(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/posts/:id/approve', summary: 'Approve a submitted post (approver roles; never its author or anyone who edited it); the check runs again',
        tags: STAFF, auth: 'staff', roles: approvers, params: idParams, response: postView,
        errors: ['NOT_FOUND', 'POST_STATUS_CONFLICT', 'POST_NOT_COMPLIANT', 'POST_SELF_APPROVAL', 'POST_TIME_PASSED'],
      },
      ({ ctx, params }) => s.community.approve(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/posts/:id/reject', summary: 'Send a submitted post back with the reason (approver roles)',
        tags: STAFF, auth: 'staff', roles: approvers, params: idParams, body: rejectBody, response: postView, errors: ['NOT_FOUND', 'POST_STATUS_CONFLICT'],
      },
      ({ ctx, params, body }) => s.community.reject(actorFromContext(ctx), params.id, body.reason),
    )
    .add(
      {
        method: 'post', path: '/api/staff/community/posts/:id/cancel', summary: 'Cancel a post (its author or the director; an approved one also an approver); a weekly post sends nothing more',
        tags: STAFF, auth: 'staff', params: idParams, response: postView, errors: ['NOT_FOUND', 'POST_STATUS_CONFLICT', 'POST_NOT_AUTHOR'],
      },
      ({ ctx, params }) => s.community.cancel(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'get', path: '/api/staff/community/posts/:id/deliveries', summary: 'Where a post went: each occurrence\'s groups, the clients whose contact section you may see, and the delivery state (audited)',
        tags: STAFF, auth: 'staff', params: idParams, query: pageQuery, response: deliveriesResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => s.community.deliveries(actorFromContext(ctx), params.id, query.page, query.pageSize),
    );
}
