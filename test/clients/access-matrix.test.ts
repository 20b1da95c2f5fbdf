import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { grantHealthConsent, planBody, proposedPlan, slot } from '../helpers/consultations';
import { submitIntent, intentAnswers } from '../helpers/questionnaires';
import { createProject, externalNo, staffActor } from '../helpers/orders';
import { publicId } from '../../src/shared/crypto';
import { MariaDbPhotoStore } from '../../src/modules/photos';
import { TINY_JPEG } from '../helpers/images';
import { STAFF_ROLES } from '../../src/modules/staff/staff.entity';
import type { Staff, StaffRole } from '../../src/modules/staff/staff.entity';
import type { Client } from '../../src/modules/clients/clients.entity';
import { ACCESS_SCOPES, CLIENT_ACCESS, accessFilter, accessReach, mayAccess } from '../../src/modules/clients';
import type { AccessReach, AccessScope } from '../../src/modules/clients';
import type { RouteSpec } from '../../src/shared/http/route';

// The staff members asking: one of every role; the consultant is the dedicated consultant of "own"
// clients, another consultant has the "other" ones.
type Which = 'own' | 'other';

/** What one client brings to the matrix: the rows the staff routes name. */
interface ClientFixture {
  client: Client;
  planId: string;
  appointmentId: string;
  orderId: string;
  photoId: string;
  treatmentId: string;
  voucherId: string;
  caseId: string;
  responseId: string;
}

interface Req { path: string; body?: object }

/**
 * How each staff route relates to clients:
 * - `client`: about one client (in the path, or reached through an order, plan, case…): allowed when
 *   the route's roles include the role and the access rule lets it reach that client's `scope`;
 * - `list`: lists rows of many clients, filtered by the rule (roles gate, and nothing leaks); `filtered`:
 *   a role that does not reach the scope gets the list without those clients' rows rather than 403;
 * - `staff`: no client data (catalogs, templates, staff accounts, reports): the route's roles alone;
 * - `self`: the caller's own session or account.
 */
type Rule =
  | { kind: 'client'; scope: AccessScope; req: (f: ClientFixture, ctx: { role: StaffRole; which: Which }) => Req | Promise<Req> }
  | { kind: 'list'; scope: AccessScope; req?: () => Req; filtered?: boolean }
  | { kind: 'staff'; catalog?: boolean }
  | { kind: 'self' };

const ID = 'A'.repeat(22);
// Text only health data carries: the medical history's allergy and the plan's analysis and risk plan.
const HEALTH_MARK = '青霉素';
// A procedure only orders (and the catalog) name.
const PROCEDURE_MARK = `矩阵项目${randomUUID().slice(0, 6)}`;

describe('one client-access rule', () => {
  describe('the rule itself (pure)', () => {
    const staff = (role: StaffRole, id = 7) => ({ type: 'staff' as const, id, role });

    it('gives every staff role a reach in every scope, nothing to a client, everything to the system (scheduler, imports)', () => {
      const table: Record<StaffRole, Record<AccessScope, AccessReach>> = CLIENT_ACCESS;
      expect(Object.keys(table).sort()).toEqual([...STAFF_ROLES].sort());
      for (const role of STAFF_ROLES) for (const scope of ACCESS_SCOPES) expect(['all', 'own', 'none']).toContain(table[role][scope]);
      for (const scope of ACCESS_SCOPES) {
        expect(accessReach({ type: 'client', id: 7, role: 'client' }, scope)).toBe('none');
        expect(accessReach({ type: 'system', id: null, role: 'system' }, scope)).toBe('all');
      }
    });

    it('health is for doctors and the director only; consultants reach only their own clients; the director reaches all', () => {
      const own = { consultantId: 7 };
      const other = { consultantId: 8 };
      const unassigned = { consultantId: null };
      for (const role of STAFF_ROLES) expect(mayAccess(staff(role), other, 'health')).toBe(role === 'director' || role === 'doctor');
      for (const scope of ACCESS_SCOPES) {
        expect(mayAccess(staff('director'), unassigned, scope)).toBe(true);
        expect(mayAccess(staff('consultant'), other, scope)).toBe(false);
        expect(mayAccess(staff('consultant'), unassigned, scope)).toBe(false);
      }
      expect(['archive', 'contact', 'money'].map((s) => mayAccess(staff('consultant'), own, s as AccessScope))).toEqual([true, true, true]);
      expect(mayAccess(staff('customer_service'), other, 'archive')).toBe(true);
      expect(mayAccess(staff('customer_service'), other, 'contact')).toBe(false);
      expect(mayAccess(staff('doctor'), other, 'contact')).toBe(false);
    });

    it('offers the same rule as a SQL condition for lists', () => {
      expect(accessFilter(staff('director'), 'health')).toEqual({ sql: '1 = 1', params: [] });
      expect(accessFilter(staff('consultant', 9), 'money', 'x.consultant_id')).toEqual({ sql: 'x.consultant_id = ?', params: [9] });
      expect(accessFilter(staff('consultant'), 'health')).toEqual({ sql: '1 = 0', params: [] });
    });
  });

  describe('every staff route × role × own/other client', () => {
    let t: TestContext;
    const staff = {} as Record<StaffRole, Staff> & { otherConsultant: Staff };
    const tokens = {} as Record<StaffRole, string>;
    const fx = {} as Record<Which, ClientFixture>;
    let projectId: string;
    let postId: string;

    async function clientFixture(consultant: Staff): Promise<ClientFixture> {
      const director = staffActor(staff.director);
      const client = await createClient(t, { consultantId: consultant.id });
      await grantHealthConsent(t, client);
      const token = await clientToken(t, client);
      await t.services.clients.putMedicalForStaff(director, client.publicId, { allergies: [HEALTH_MARK], medications: [], pastProcedures: [], conditions: [] });
      const planId = await proposedPlan(t, tokens.doctor, client.publicId);
      const appointment = await t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: slot(t, 3) });
      const order = await t.services.orders.recordOrder(director, {
        orderNo: externalNo(), clientId: client.publicId, doctorId: staff.doctor.publicId, paidAt: new Date(t.clock.now().getTime() - 3600_000),
        items: [{ projectId, amountFen: 500000 }],
      });
      const { treatment } = await t.services.care.recordTreatment(director, { requestId: randomUUID(), order: order.id, project: projectId, performedAt: t.clock.now() });
      await t.services.points.adjust(director, client.id, 1000, '矩阵测试', randomUUID());
      const item = await t.services.rewards.createItem(director, { kind: 'care_product', title: '术后修护套装', pointsPrice: 10, stock: 100 });
      const voucher = await t.services.rewards.redeem(client.id, item.id, randomUUID(), { type: 'client', id: client.id, role: 'client', ip: null, requestId: null });
      const complaint = await t.http.post('/api/mp/complaints').set(bearer(token)).send({ category: 'service_attitude', text: '等候时间太长，前台态度一般', requestId: randomUUID() });
      const submitted = await submitIntent(t, token, intentAnswers());
      const [response] = await t.deps.db.query('SELECT public_id FROM questionnaire_responses WHERE client_id = ?', [client.id]);
      if (appointment.status !== 201 || complaint.status !== 201 || submitted.status !== 201 || !response) {
        throw new Error(`fixture: ${appointment.status} ${complaint.status} ${submitted.status} ${JSON.stringify(submitted.body)}`);
      }
      // A progress photo as an upload at the 1-month step would store it (the step is a month away here).
      const photoId = publicId();
      const photo = await t.deps.db.query(
        "INSERT INTO progress_photos (public_id, client_id, treatment_public_id, step, content_type, size_bytes, created_at) VALUES (?, ?, ?, 'effect_1m', 'image/jpeg', ?, ?)",
        [photoId, client.id, treatment.id, TINY_JPEG.length, t.clock.now()],
      );
      await new MariaDbPhotoStore(t.services.cipher).put(t.deps.db.manager, { id: Number(photo.insertId), publicId: photoId }, TINY_JPEG);
      return {
        photoId, client, planId, appointmentId: appointment.body.id, orderId: order.id, treatmentId: treatment.id, voucherId: voucher.id, caseId: complaint.body.complaint.id, responseId: response.public_id,
      };
    }

    /** A WeCom contact of its own per request (linked to the client, or not linked), so one request's unlink cannot change another's answer. */
    async function contact(client: Client | null): Promise<string> {
      const contactId = `wm_matrix_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      const now = t.clock.now();
      await t.deps.db.query(
        `INSERT INTO wecom_contacts (contact_id, account_id, client_id, bound_by, bound_at, last_seen_at) VALUES (?, 'matrix', ?, ?, ?, ?)`,
        [contactId, client?.id ?? null, client ? 'staff' : null, client ? now : null, now],
      );
      return contactId;
    }

    const RULES: Record<string, Rule> = {
      // ---- one client
      'GET /api/staff/clients/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}` }) },
      'PATCH /api/staff/clients/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}`, body: { stage: 'consulting' } }) },
      'GET /api/staff/clients/:id/medical': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/medical` }) },
      'PUT /api/staff/clients/:id/medical': {
        kind: 'client', scope: 'health',
        req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/medical`, body: { allergies: [HEALTH_MARK], medications: [], pastProcedures: [], conditions: [] } }),
      },
      'GET /api/staff/clients/:id/followups': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/followups` }) },
      'GET /api/staff/clients/:id/treatments': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/treatments` }) },
      'POST /api/staff/treatments': {
        kind: 'client', scope: 'health',
        req: (f) => ({ path: '/api/staff/treatments', body: { requestId: randomUUID(), order: f.orderId, project: projectId, performedAt: t.clock.now().toISOString() } }),
      },
      'POST /api/staff/treatments/:id/cancel': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/treatments/${f.treatmentId}/cancel` }) },
      'GET /api/staff/clients/:id/messages': { kind: 'client', scope: 'contact', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/messages` }) },
      'POST /api/staff/clients/:id/send': { kind: 'client', scope: 'contact', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/send`, body: { what: 'questionnaire' } }) },
      'POST /api/staff/clients/:id/tasks': {
        kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/tasks`, body: { title: '矩阵测试', requestId: randomUUID() } }),
      },
      'GET /api/staff/clients/:id/plans': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/plans` }) },
      'POST /api/staff/clients/:id/plans': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/plans`, body: planBody() }) },
      'POST /api/staff/clients/:id/points/adjust': {
        kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/points/adjust`, body: { delta: 1, reason: '矩阵测试', requestId: randomUUID() } }),
      },
      'GET /api/staff/plans/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/plans/${f.planId}` }) },
      'PUT /api/staff/plans/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/plans/${f.planId}`, body: planBody() }) },
      'POST /api/staff/plans/:id/propose': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/plans/${f.planId}/propose` }) },
      'POST /api/staff/plans/:id/withdraw': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/plans/${f.planId}/withdraw` }) },
      'GET /api/staff/appointments/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}` }) },
      'POST /api/staff/appointments/:id/confirm': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}/confirm` }) },
      'POST /api/staff/appointments/:id/move': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}/move`, body: { at: slot(t, 4) } }) },
      'POST /api/staff/appointments/:id/cancel': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}/cancel`, body: {} }) },
      'POST /api/staff/appointments/:id/complete': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}/complete` }) },
      'POST /api/staff/appointments/:id/no-show': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/appointments/${f.appointmentId}/no-show` }) },
      'POST /api/staff/appointments': {
        kind: 'client', scope: 'archive',
        req: (f) => ({ path: '/api/staff/appointments', body: { client: f.client.publicId, kind: 'consultation', doctor: publicId(), at: slot(t, 5) } }),
      },
      'POST /api/staff/orders': {
        kind: 'client', scope: 'money',
        req: (f) => ({
          path: '/api/staff/orders',
          body: { orderNo: externalNo(), clientId: f.client.publicId, doctorId: staff.doctor.publicId, paidAt: new Date(t.clock.now().getTime() - 3600_000).toISOString(), items: [{ projectId, amountFen: 100 }] },
        }),
      },
      'GET /api/staff/orders/:id': { kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/orders/${f.orderId}` }) },
      'POST /api/staff/orders/:id/refunds': {
        kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/orders/${f.orderId}/refunds`, body: { refundNo: externalNo('R'), amountFen: 100, reason: '矩阵测试' } }),
      },
      'POST /api/staff/orders/:id/stored-value': {
        kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/orders/${f.orderId}/stored-value`, body: { amountFen: 1, requestId: randomUUID() } }),
      },
      'GET /api/staff/clients/:id/photos': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/photos` }) },
      'GET /api/staff/photos/:id': { kind: 'client', scope: 'health', req: (f) => ({ path: `/api/staff/photos/${f.photoId}` }) },
      'GET /api/staff/clients/:id/wallet': { kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/wallet` }) },
      'POST /api/staff/orders/:id/void': { kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/orders/${f.orderId}/void`, body: { reason: '矩阵测试' } }) },
      'GET /api/staff/clients/:id/vouchers': { kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/vouchers` }) },
      'POST /api/staff/vouchers/:id/cancel': { kind: 'client', scope: 'money', req: (f) => ({ path: `/api/staff/vouchers/${f.voucherId}/cancel` }) },
      'GET /api/staff/cases/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/cases/${f.caseId}` }) },
      'POST /api/staff/cases/:id/resolve': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/cases/${f.caseId}/resolve`, body: { resolution: '已致电致歉并改进排班' } }) },
      'GET /api/staff/questionnaire-responses/:id': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/questionnaire-responses/${f.responseId}` }) },
      'POST /api/staff/wecom/contacts/:contactId/bind': {
        kind: 'client', scope: 'contact', req: async (f) => ({ path: `/api/staff/wecom/contacts/${await contact(null)}/bind`, body: { clientId: f.client.publicId } }),
      },
      'POST /api/staff/wecom/contacts/:contactId/unbind': {
        // One contact per client: a client of the same consultant of its own, so one request's unlink cannot change another's answer.
        kind: 'client', scope: 'contact',
        req: async (_f, { which }) => {
          const client = await createClient(t, { consultantId: (which === 'own' ? staff.consultant : staff.otherConsultant).id });
          return { path: `/api/staff/wecom/contacts/${await contact(client)}/unbind` };
        },
      },
      'POST /api/staff/clients/:id/phone/reveal': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/phone/reveal` }) },
      'POST /api/staff/clients/:id/corrections': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/corrections`, body: { gender: 'female' } }) },
      'GET /api/staff/clients/:id/notes': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/notes` }) },
      'POST /api/staff/clients/:id/notes': { kind: 'client', scope: 'archive', req: (f) => ({ path: `/api/staff/clients/${f.client.publicId}/notes`, body: { text: '矩阵测试备注' } }) },
      // ---- lists of many clients' rows
      'GET /api/staff/clients': { kind: 'list', scope: 'archive' },
      'GET /api/staff/leads': { kind: 'list', scope: 'archive' },
      'GET /api/staff/appointments': { kind: 'list', scope: 'archive' },
      'GET /api/staff/cases': { kind: 'list', scope: 'archive' },
      'GET /api/staff/orders': { kind: 'list', scope: 'money' },
      // The lists as files: the same reach and masking as the lists.
      'GET /api/staff/clients/export': { kind: 'list', scope: 'archive' },
      'GET /api/staff/orders/export': { kind: 'list', scope: 'money' },
      'GET /api/staff/leads/export': { kind: 'list', scope: 'archive' },
      'GET /api/staff/cases/export': { kind: 'list', scope: 'archive' },
      'GET /api/staff/appointments/export': { kind: 'list', scope: 'archive' },
      'GET /api/staff/treatments/export': { kind: 'list', scope: 'health' },
      'GET /api/staff/vouchers/export': { kind: 'list', scope: 'money' },
      'GET /api/staff/wecom/contacts': { kind: 'list', scope: 'contact' },
      'GET /api/staff/community/posts/:id/deliveries': { kind: 'list', scope: 'contact', filtered: true, req: () => ({ path: `/api/staff/community/posts/${postId}/deliveries` }) },
      'GET /api/staff/tasks': { kind: 'list', scope: 'archive' },
      'GET /api/staff/tasks/export': { kind: 'list', scope: 'archive' },
      'GET /api/staff/audit': { kind: 'list', scope: 'archive' },
      'GET /api/staff/audit/export': { kind: 'list', scope: 'archive' },
      // ---- no client data: the route's roles alone
      'GET /api/staff/projects': { kind: 'staff', catalog: true },
      'POST /api/staff/projects': { kind: 'staff', catalog: true },
      'PATCH /api/staff/projects/:id': { kind: 'staff', catalog: true },
      'POST /api/staff/projects/:id/deactivate': { kind: 'staff', catalog: true },
      'GET /api/staff/care/templates': { kind: 'staff' },
      'PATCH /api/staff/care/templates/:id': { kind: 'staff' },
      'POST /api/staff/community/compliance-check': { kind: 'staff' },
      'GET /api/staff/community/posts': { kind: 'staff' },
      'GET /api/staff/community/posts/export': { kind: 'staff' },
      'POST /api/staff/community/posts': { kind: 'staff' },
      'GET /api/staff/community/posts/:id': { kind: 'staff' },
      'PATCH /api/staff/community/posts/:id': { kind: 'staff' },
      'POST /api/staff/community/posts/:id/approve': { kind: 'staff' },
      'POST /api/staff/community/posts/:id/cancel': { kind: 'staff' },
      'POST /api/staff/community/posts/:id/reject': { kind: 'staff' },
      'POST /api/staff/community/posts/:id/submit': { kind: 'staff' },
      'GET /api/staff/metrics/pipeline': { kind: 'staff' },
      'GET /api/staff/reports/appointments': { kind: 'staff' },
      'GET /api/staff/appointment-slots': { kind: 'staff' },
      'GET /api/staff/doctor-schedules': { kind: 'staff' },
      'PUT /api/staff/doctor-schedules/:id': { kind: 'staff' },
      'PUT /api/staff/doctor-schedules/:id/exceptions/:date': { kind: 'staff' },
      'DELETE /api/staff/doctor-schedules/:id/exceptions/:date': { kind: 'staff' },
      'GET /api/staff/points/consistency': { kind: 'staff' },
      'GET /api/staff/referrals/consistency': { kind: 'staff' },
      'GET /api/staff/wallet/consistency': { kind: 'staff' },
      'GET /api/staff/reports/dormant': { kind: 'staff' },
      'GET /api/staff/reports/rfm/segments': { kind: 'staff' },
      'GET /api/staff/reports/satisfaction': { kind: 'staff' },
      // The reports as files: counts and amounts, no client named (director only).
      'GET /api/staff/metrics/pipeline/export': { kind: 'staff' },
      'GET /api/staff/reports/satisfaction/export': { kind: 'staff' },
      'GET /api/staff/reports/rfm/segments/export': { kind: 'staff' },
      'GET /api/staff/reports/dormant/export': { kind: 'staff' },
      'GET /api/staff/reports/appointments/export': { kind: 'staff' },
      'GET /api/staff/reports/consistency/export': { kind: 'staff' },
      'GET /api/staff/questionnaire-templates': { kind: 'staff' },
      'POST /api/staff/questionnaire-templates': { kind: 'staff' },
      'GET /api/staff/questionnaire-templates/:id': { kind: 'staff' },
      'POST /api/staff/questionnaire-templates/:id/versions': { kind: 'staff' },
      'GET /api/staff/questionnaire-versions/:id': { kind: 'staff' },
      'PUT /api/staff/questionnaire-versions/:id': { kind: 'staff' },
      'POST /api/staff/questionnaire-versions/:id/publish': { kind: 'staff' },
      'GET /api/staff/rewards': { kind: 'staff' },
      'POST /api/staff/rewards': { kind: 'staff' },
      'PATCH /api/staff/rewards/:id': { kind: 'staff' },
      'POST /api/staff/vouchers/redeem': { kind: 'staff' },
      'GET /api/staff/voucher-rules': { kind: 'staff' },
      'PATCH /api/staff/voucher-rules/:code': { kind: 'staff' },
      'GET /api/staff/scheduler/runs': { kind: 'staff' },
      'GET /api/staff/staff': { kind: 'staff' },
      'GET /api/staff/colleagues': { kind: 'staff' },
      // The stream names no client: it says a kind of work is new, and the workbench reloads through the rule.
      'GET /api/staff/me/stream': { kind: 'staff' },
      'POST /api/staff/staff': { kind: 'staff' },
      'PATCH /api/staff/staff/:id': { kind: 'staff' },
      'POST /api/staff/staff/:id/password': { kind: 'staff' },
      'POST /api/staff/staff/:id/revoke-sessions': { kind: 'staff' },
      'POST /api/staff/staff/:id/unlock': { kind: 'staff' },
      'POST /api/staff/tasks/:id/complete': { kind: 'staff' },
      // A walk-in client is new: no existing client is named (a duplicate phone is answered by the rule, see clients/staff tests).
      'POST /api/staff/clients': { kind: 'staff' },
      'GET /api/staff/vouchers/lookup': { kind: 'staff' },
      'DELETE /api/staff/staff/:id/totp': { kind: 'staff' },
      // WeCom: codes, staff mapping and signatures carry no client data; the sidebar's contact → client
      // lookup asks the rule per client (test/wecom/sidebar.test.ts).
      'GET /api/staff/wecom/jssdk-config': { kind: 'staff' },
      'GET /api/staff/wecom/contacts/:externalUserId/client': { kind: 'staff' },
      'PUT /api/staff/wecom/staff-users/:userid': { kind: 'staff' },
      'POST /api/staff/wecom/contact-ways': { kind: 'staff' },
      'GET /api/staff/wecom/contact-ways': { kind: 'staff' },
      'DELETE /api/staff/wecom/contact-ways/:id': { kind: 'staff' },
      'GET /api/staff/wecom/contact-ways/:id/qr': { kind: 'staff' },
      // Marketing spend and channel ROI: aggregates by channel (director only).
      'POST /api/staff/marketing/spend': { kind: 'staff' },
      'POST /api/staff/marketing/spend/:id/corrections': { kind: 'staff' },
      'GET /api/staff/marketing/spend': { kind: 'staff' },
      'GET /api/staff/reports/roi': { kind: 'staff' },
      'GET /api/staff/reports/roi/export': { kind: 'staff' },
      // Staff performance: aggregates per consultant and doctor, no client named (director only).
      'GET /api/staff/reports/staff-performance': { kind: 'staff' },
      'GET /api/staff/reports/staff-performance/export': { kind: 'staff' },
      // Imports: the director's alone (director reaches every client in every scope); a job names no client.
      'POST /api/staff/imports': { kind: 'staff' },
      'GET /api/staff/imports/:id': { kind: 'staff' },
      'POST /api/staff/imports/:id/check': { kind: 'staff' },
      'POST /api/staff/imports/:id/run': { kind: 'staff' },
      // ---- the caller's own session or account
      'POST /api/staff/auth/login': { kind: 'self' },
      'POST /api/staff/me/totp': { kind: 'self' },
      'POST /api/staff/me/totp/confirm': { kind: 'self' },
      'DELETE /api/staff/me/totp': { kind: 'self' },
      'POST /api/staff/auth/logout': { kind: 'self' },
      'GET /api/staff/me': { kind: 'self' },
      'POST /api/staff/me/password': { kind: 'self' },
    };

    const keyOf = (s: RouteSpec) => `${s.method.toUpperCase()} ${s.path}`;
    const staffSpecs = () => t.handle.api.specs.filter((s) => s.path.startsWith('/api/staff/'));
    /** A path with every parameter filled by an id nobody has (for routes whose answer does not depend on one client). */
    const anyPath = (path: string) => path.replace(/:contactId/g, 'wm_none').replace(/:id/g, ID).replace(/\/:[a-zA-Z]+/g, `/${ID}`);

    beforeAll(async () => {
      // Cases assigned to consultants: the rule must then keep each consultant to their own clients' cases.
      t = await createTestContext({ env: { CASE_ASSIGNEE_ROLE: 'consultant' } });
      for (const role of STAFF_ROLES) staff[role] = await createStaff(t, role);
      staff.otherConsultant = await createStaff(t, 'consultant');
      for (const role of STAFF_ROLES) tokens[role] = await staffToken(t, staff[role]);
      projectId = (await createProject(t, { name: PROCEDURE_MARK, category: 'light' })).id;
      fx.own = await clientFixture(staff.consultant);
      fx.other = await clientFixture(staff.otherConsultant);
      const post = await t.http.post('/api/staff/community/posts').set(bearer(tokens.director)).send({
        title: '护肤小课堂', text: '换季护肤三步走。', audience: { roomTopics: ['美丽学院1群'] }, schedule: { kind: 'once', at: new Date(t.clock.now().getTime() + 3600_000).toISOString() },
      });
      postId = post.body.id;
      const [{ id: postRowId }] = await t.deps.db.query('SELECT id FROM community_posts WHERE public_id = ?', [postId]);
      for (const f of [fx.own, fx.other]) {
        await t.deps.db.query(
          `INSERT INTO post_deliveries (post_id, occurrence, target_kind, target, client_id, outbox_key, created_at) VALUES (?, '2030-01-01', 'client', ?, ?, ?, ?)`,
          [postRowId, `client:${f.client.id}`, f.client.id, `matrix:${publicId()}`, t.clock.now()],
        );
      }
    }, 120_000);
    afterAll(async () => {
      await t?.close();
    });

    it('classifies every staff route (a new route fails here until it is classified)', () => {
      const keys = staffSpecs().map(keyOf);
      expect(keys.filter((k) => !RULES[k])).toEqual([]);
      expect(Object.keys(RULES).filter((k) => !keys.includes(k))).toEqual([]);
    });

    it('the archive names the sections the reader may see of that client', async () => {
      const sections = async (role: StaffRole) => (await t.http.get(`/api/staff/clients/${fx.own.client.publicId}`).set(bearer(tokens[role]))).body.sections;

      expect(await sections('director')).toEqual(['archive', 'health', 'contact', 'money']);
      expect(await sections('doctor')).toEqual(['archive', 'health', 'money']);
      expect(await sections('consultant')).toEqual(['archive', 'contact', 'money']);
      expect(await sections('customer_service')).toEqual(['archive', 'money']);
    });

    it('a consultant cannot cancel another consultant\'s client\'s voucher (404, voucher and points untouched); their own, yes', async () => {
      const balance = await t.services.points.balance(fx.other.client.id);

      const other = await t.http.post(`/api/staff/vouchers/${fx.other.voucherId}/cancel`).set(bearer(tokens.consultant));
      const own = await t.http.post(`/api/staff/vouchers/${fx.own.voucherId}/cancel`).set(bearer(tokens.consultant));

      expect(other.status).toBe(404);
      expect(own.status).toBe(200);
      const [row] = await t.deps.db.query('SELECT status FROM vouchers WHERE public_id = ?', [fx.other.voucherId]);
      expect(row.status).toBe('issued');
      expect(await t.services.points.balance(fx.other.client.id)).toBe(balance);
      const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE client_id = ? AND action = 'voucher.cancel' AND allowed = 0", [fx.other.client.id]);
      expect(Number(n)).toBe(1);
    });

    it('with cases assigned to consultants, a consultant lists, opens and resolves only their own clients\' cases', async () => {
      const listed = await t.http.get('/api/staff/cases').set(bearer(tokens.consultant)).query({ pageSize: 100 });
      const opened = await t.http.get(`/api/staff/cases/${fx.other.caseId}`).set(bearer(tokens.consultant));
      const resolved = await t.http.post(`/api/staff/cases/${fx.other.caseId}/resolve`).set(bearer(tokens.consultant)).send({ resolution: '已处理' });
      const forDirector = await t.http.get('/api/staff/cases').set(bearer(tokens.director)).query({ pageSize: 100 });

      const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((c) => c.id);
      expect(ids(listed)).toContain(fx.own.caseId);
      expect(ids(listed)).not.toContain(fx.other.caseId);
      expect(ids(forDirector)).toEqual(expect.arrayContaining([fx.own.caseId, fx.other.caseId]));
      expect([opened.status, resolved.status]).toEqual([404, 404]);
      const [row] = await t.deps.db.query('SELECT status FROM feedback_cases WHERE public_id = ?', [fx.other.caseId]);
      expect(row.status).toBe('open');
    });

    it('a case task for the consultant role reaches the client\'s own consultant only: listed, completed', async () => {
      const taskOf = async (f: ClientFixture) => (await t.deps.db.query(
        "SELECT public_id FROM staff_tasks WHERE kind = 'feedback_case' AND client_id = ? AND status = 'open'", [f.client.id],
      ))[0].public_id as string;
      const [ownTask, otherTask] = [await taskOf(fx.own), await taskOf(fx.other)];

      const listed = await t.http.get('/api/staff/tasks').set(bearer(tokens.consultant)).query({ pageSize: 100 });
      const completeOther = await t.http.post(`/api/staff/tasks/${otherTask}/complete`).set(bearer(tokens.consultant)).send({ note: '已联系' });

      const ids = listed.body.items.map((i: { id: string }) => i.id);
      expect(ids).toContain(ownTask);
      expect(ids).not.toContain(otherTask);
      expect(completeOther.status).toBe(404);
      const [row] = await t.deps.db.query('SELECT status FROM staff_tasks WHERE public_id = ?', [otherTask]);
      expect(row.status).toBe('open');
    });

    it('a post\'s deliveries name only the clients whose contact section the reader may see (groups for everyone)', async () => {
      const clientsSeen = async (role: StaffRole) => {
        const res = await t.http.get(`/api/staff/community/posts/${postId}/deliveries`).set(bearer(tokens[role]));
        expect(res.status).toBe(200);
        return res.body.items.filter((i: { target: { kind: string } }) => i.target.kind === 'client').map((i: { target: { clientId: string } }) => i.target.clientId).sort();
      };

      expect(await clientsSeen('director')).toEqual([fx.own.client.publicId, fx.other.client.publicId].sort());
      expect(await clientsSeen('consultant')).toEqual([fx.own.client.publicId]);
      expect(await clientsSeen('doctor')).toEqual([]);
      expect(await clientsSeen('customer_service')).toEqual([]);
    });

    it('the staff order list names procedures only for doctors and the director; amounts for everyone who may see the order', async () => {
      const itemsOf = async (role: StaffRole) => {
        const res = await t.http.get('/api/staff/orders').set(bearer(tokens[role])).query({ clientId: fx.own.client.publicId });
        expect(res.status).toBe(200);
        return res.body.items.find((o: { id: string }) => o.id === fx.own.orderId).items;
      };

      for (const role of ['director', 'doctor'] as const) expect((await itemsOf(role))[0]).toMatchObject({ project: { name: PROCEDURE_MARK }, category: 'light', amountFen: 500000 });
      for (const role of ['consultant', 'customer_service'] as const) expect(await itemsOf(role)).toEqual([{ project: null, category: null, amountFen: 500000 }]);
    });

    it('answers each role as the rule says, for its own consultant\'s client and another\'s, and leaks nothing else', async () => {
      const problems: string[] = [];
      const send = async (spec: RouteSpec, role: StaffRole, req: Req, token = tokens[role]) => {
        const r = t.http[spec.method](req.path).set(bearer(token));
        // An event stream never ends by itself: its first chunk (or a refusal's end) settles the answer.
        if (spec.files?.includes('text/event-stream')) {
          return r.buffer(false).parse((res, done) => {
            const stream = res as unknown as import('node:http').IncomingMessage;
            stream.once('data', () => { stream.destroy(); done(null, null); });
            stream.once('end', () => done(null, null));
          });
        }
        return req.body === undefined ? r : r.send(req.body);
      };
      const leaks = (rule: Rule, role: StaffRole, body: unknown): string[] => {
        const text = JSON.stringify(body ?? '');
        const out: string[] = [];
        if (accessReach({ type: 'staff', id: 1, role }, 'archive') === 'own' && text.includes(fx.other.client.publicId)) out.push('names another consultant\'s client');
        if (accessReach({ type: 'staff', id: 1, role }, 'health') === 'none') {
          if (text.includes(HEALTH_MARK)) out.push('shows health data');
          if (!(rule.kind === 'staff' && rule.catalog) && text.includes(PROCEDURE_MARK)) out.push('names a procedure');
        }
        return out;
      };
      // Reads first, while every fixture is as set up (open cases, tasks, issued vouchers); then the writes.
      const routes = [...staffSpecs()].sort((a, b) => Number(a.method !== 'get') - Number(b.method !== 'get'));
      for (const spec of routes) {
        const key = keyOf(spec);
        const rule = RULES[key];
        const permitted = (role: StaffRole) => !spec.roles || spec.roles.includes(role);
        const checks: Promise<void>[] = [];
        for (const role of STAFF_ROLES) {
          if (rule.kind === 'client') {
            for (const which of ['own', 'other'] as const) {
              checks.push((async () => {
                const res = await send(spec, role, await rule.req(fx[which], { role, which }));
                const reach = accessReach({ type: 'staff', id: 1, role }, rule.scope);
                const expected = !permitted(role) || reach === 'none' ? 403 : reach === 'own' && which === 'other' ? 404 : 'allowed';
                const got = [401, 403, 404].includes(res.status) || res.status >= 500 ? res.status : 'allowed';
                if (got !== expected) problems.push(`${key} as ${role} on ${which} client: ${res.status} (expected ${expected}) ${JSON.stringify(res.body).slice(0, 160)}`);
                for (const l of leaks(rule, role, res.body)) problems.push(`${key} as ${role} on ${which} client ${l}`);
              })());
            }
          } else {
            checks.push((async () => {
              let token = tokens[role];
              if (rule.kind === 'self') token = await staffToken(t, staff[role]);
              const req = rule.kind === 'list' && rule.req ? rule.req() : { path: anyPath(spec.path), body: spec.method === 'get' ? undefined : {} };
              const res = await send(spec, role, req, token);
              const denied = !permitted(role) || (rule.kind === 'list' && !rule.filtered && accessReach({ type: 'staff', id: 1, role }, rule.scope) === 'none');
              if (denied !== (res.status === 403) || res.status === 401 || res.status >= 500) {
                problems.push(`${key} as ${role}: ${res.status} (expected ${denied ? 403 : 'not 403'}) ${JSON.stringify(res.body).slice(0, 160)}`);
              }
              for (const l of leaks(rule, role, res.body)) problems.push(`${key} as ${role} ${l}`);
            })());
          }
        }
        await Promise.all(checks);
      }
      expect(problems).toEqual([]);
    }, 60_000);
  });
});
