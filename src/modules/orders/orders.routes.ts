import type { ApiRouter } from '../../shared/http/route';
import type { OrdersService } from './orders.service';
import type { OrderExports } from './orders.export';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import { actorFromContext } from '../audit';
import {
  createProjectBody, idParams, orderListQuery, orderView, ordersResponse, projectListQuery, projectView, projectsResponse, recordOrderBody,
  recordOrderResponse, refundBody, refundResponse, updateProjectBody, voidBody, orderExportQuery,
} from './orders.schema';

const PROJECTS = ['staff: projects'];
const ORDERS = ['staff: orders'];
const DIRECTOR = ['director'] as const;
// Whoever takes payment at the front desk records it: consultants, customer service and the director (doctors do not).
const CASHIER = ['director', 'consultant', 'customer_service'] as const;

/** HTTP ↔ OrdersService: the project catalog and spend recording (staff only). */
export function registerOrderRoutes(api: ApiRouter, s: { orders: OrdersService; orderExports: OrderExports }): void {
  api
    .add(
      { method: 'get', path: '/api/staff/projects', summary: 'The project catalog (all staff)', tags: PROJECTS, auth: 'staff', query: projectListQuery, response: projectsResponse },
      async ({ query }) => ({ items: await s.orders.listProjects(query) }),
    )
    .add(
      {
        method: 'post', path: '/api/staff/projects', summary: 'Add a project to the catalog (director; audited)', tags: PROJECTS, auth: 'staff', roles: DIRECTOR,
        body: createProjectBody, status: 201, response: projectView, errors: ['PROJECT_CODE_TAKEN'],
      },
      ({ ctx, body }) => s.orders.createProject(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/projects/:id', summary: 'Change a project; its code stays (director; audited)', tags: PROJECTS, auth: 'staff', roles: DIRECTOR,
        params: idParams, body: updateProjectBody, response: projectView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, body }) => s.orders.updateProject(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/projects/:id/deactivate', summary: 'Take a project out of sale (director; audited)', tags: PROJECTS, auth: 'staff', roles: DIRECTOR,
        params: idParams, response: projectView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => s.orders.deactivateProject(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/orders', summary: 'Record a paid order; retry-safe by orderNo; grants spend points (audited)',
        tags: ORDERS, auth: 'staff', roles: CASHIER, body: recordOrderBody, status: 201, response: recordOrderResponse,
        errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'PROJECT_INACTIVE', 'ORDER_NO_REUSED'],
      },
      ({ ctx, body }) => s.orders.recordOrder(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/orders', summary: 'Orders, newest payment first, by client and status (consultants: own clients; audited)',
        tags: ORDERS, auth: 'staff', query: orderListQuery, response: ordersResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, query }) => s.orders.listOrders(actorFromContext(ctx), query),
    )
    .add(
      {
        // Before /:id, which would take "export" for an id.
        method: 'get', path: '/api/staff/orders/export', summary: 'The order list as a file (CSV with BOM or xlsx): same filters and reach, projects only for doctors and the director; audited',
        tags: ORDERS, auth: 'staff', query: orderExportQuery, files: EXPORT_FILES, errors: ['NOT_FOUND'],
      },
      async ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, await s.orderExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      { method: 'get', path: '/api/staff/orders/:id', summary: 'One order with its items and refunds (audited)', tags: ORDERS, auth: 'staff', params: idParams, response: orderView, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => s.orders.getOrder(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/orders/:id/refunds', summary: 'Refund part or all of an order; retry-safe by refundNo; takes back spend points (audited)',
        tags: ORDERS, auth: 'staff', roles: CASHIER, params: idParams, body: refundBody, status: 201, response: refundResponse,
        errors: ['NOT_FOUND', 'REFUND_EXCEEDS_PAID', 'REFUND_NO_REUSED'],
      },
      ({ ctx, params, body }) => s.orders.refund(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/orders/:id/void', summary: 'Void an order: refund what is left and mark it voided (director; audited)',
        tags: ORDERS, auth: 'staff', roles: DIRECTOR, params: idParams, body: voidBody, response: refundResponse, errors: ['NOT_FOUND', 'ORDER_ALREADY_REFUNDED'],
      },
      ({ ctx, params, body }) => s.orders.voidOrder(actorFromContext(ctx), params.id, body.reason),
    );
}
