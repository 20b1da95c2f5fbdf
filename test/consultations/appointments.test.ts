import type TestAgent from 'supertest/lib/agent';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';
import { consentingClient, proposedPlan, slot, staffSet, StaffSet } from '../helpers/consultations';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('appointments', () => {
  let t1: TestContext;
  let t2: TestContext;
  let staff: StaffSet;

  beforeAll(async () => {
    [t1, t2] = await Promise.all([createTestContext({ now: NOW }), createTestContext({ now: NOW })]);
    staff = await staffSet(t1);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });
  beforeEach(() => {
    t1.clock.set(NOW);
    t2.clock.set(NOW);
  });

  const ask = (token: string, at: string, agent: TestAgent = t1.http) => agent.post('/api/mp/appointments').set(bearer(token)).send({ at });
  const act = (token: string, id: string, action: string, body?: object, agent: TestAgent = t1.http) => {
    const req = agent.post(`/api/staff/appointments/${id}/${action}`).set(bearer(token));
    return body ? req.send(body) : req;
  };
  // The client's notices of changes (reminders are tested in reminders.test.ts).
  const noticesOf = async (clientId: number) => (await t1.services.outbox.listForClient(clientId, 'client_message')).filter((n) => n.payload.purpose === 'notice');
  const rowsOf = (clientId: number) => t1.deps.db.query('SELECT * FROM appointments WHERE client_id = ?', [clientId]) as Promise<Record<string, any>[]>;

  it('a client asks for a slot and sees it requested; the same slot asked twice is the same appointment', async () => {
    const { client, token } = await consentingClient(t1);

    const first = await ask(token, slot(t1, 2, '10:30'));
    const again = await ask(token, slot(t1, 2, '10:30'));
    const list = await t1.http.get('/api/mp/appointments').set(bearer(token));

    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ kind: 'consultation', status: 'requested', durationMinutes: 30, at: '2026-06-03T02:30:00.000Z', letterId: null });
    expect(again.body.id).toBe(first.body.id);
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual([first.body.id]);
    expect(await rowsOf(client.id)).toHaveLength(1);
  });

  it('a time in the past, outside opening hours, off the slot grid, too far ahead or without a time zone is 400 with its field', async () => {
    const { client, token } = await consentingClient(t1);

    const cases = await Promise.all([
      ask(token, slot(t1, 0, '09:30')), // earlier today
      ask(token, slot(t1, 1, '08:30')),
      ask(token, slot(t1, 1, '18:00')),
      ask(token, slot(t1, 1, '10:10')),
      ask(token, slot(t1, 200, '10:00')),
      ask(token, '2026-06-03T10:00:00'),
    ]);

    expect(cases.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(cases.map((r) => r.body.error.code)).toEqual([
      'APPOINTMENT_IN_PAST', 'APPOINTMENT_OUTSIDE_HOURS', 'APPOINTMENT_OUTSIDE_HOURS', 'APPOINTMENT_NOT_ON_SLOT', 'APPOINTMENT_TOO_FAR_AHEAD', 'VALIDATION_FAILED',
    ]);
    expect(cases.slice(0, 5).every((r) => r.body.error.details.field === 'body.at')).toBe(true);
    expect(cases[5].body.error.details).toEqual([expect.objectContaining({ field: 'body.at' })]);
    expect(await rowsOf(client.id)).toEqual([]);
  });

  it('opening hours come from configuration (Asia/Shanghai)', async () => {
    const late = await createTestContext({ now: NOW, env: { APPOINTMENT_OPEN_FROM: '11:00', APPOINTMENT_OPEN_UNTIL: '20:00' } });
    try {
      const { token } = await consentingClient(late);
      expect((await ask(token, slot(late, 1, '10:00'), late.http)).body.error.code).toBe('APPOINTMENT_OUTSIDE_HOURS');
      expect((await ask(token, slot(late, 1, '19:30'), late.http)).status).toBe(201);
      expect((await ask(token, slot(t1, 1, '19:30'))).body.error.code).toBe('APPOINTMENT_OUTSIDE_HOURS'); // default 09:00–18:00
    } finally {
      await late.close();
    }
  });

  it('a client holds at most the configured number of open appointments (409)', async () => {
    const { client, token } = await consentingClient(t1);
    for (let d = 1; d <= t1.config.appointments.maxOpenPerClient; d++) expect((await ask(token, slot(t1, d))).status).toBe(201);

    const one = await ask(token, slot(t1, 10));

    expect(one.status).toBe(409);
    expect(one.body.error.code).toBe('APPOINTMENT_LIMIT_REACHED');
    expect(await rowsOf(client.id)).toHaveLength(t1.config.appointments.maxOpenPerClient);
  });

  it('staff confirm: the client sees it confirmed, is told once, and moves to consulting; a second confirm is 409', async () => {
    const { client, token } = await consentingClient(t1);
    const { body: appt } = await ask(token, slot(t1, 2));

    const confirmed = await act(staff.serviceToken, appt.id, 'confirm');
    const twice = await act(staff.serviceToken, appt.id, 'confirm');

    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', confirmedBy: { id: staff.service.publicId }, client: { id: client.publicId } });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'APPOINTMENT_STATE_INVALID', details: { status: 'confirmed', action: 'confirm' } });
    expect((await t1.http.get(`/api/mp/appointments/${appt.id}`).set(bearer(token))).body.status).toBe('confirmed');
    const notices = await noticesOf(client.id);
    expect(notices.map((n) => [n.dedupeKey, n.payload.event])).toEqual([[`appointment:${appt.id}:1`, 'appointment_confirmed']]);
    expect((await t1.services.journey.history(client.id)).map((h) => h.to)).toEqual(['consulting']);
    const [audit] = await t1.deps.db.query("SELECT actor_id FROM audit_log WHERE client_id = ? AND action = 'appointment.confirm'", [client.id]);
    expect(audit.actor_id).toBe(staff.service.id);
  });

  it('staff move an open appointment: same status, history from → to, a new notice; bad times are 400', async () => {
    const { client, token } = await consentingClient(t1);
    const { body: appt } = await ask(token, slot(t1, 2, '10:00'));
    await act(staff.serviceToken, appt.id, 'confirm');

    const outside = await act(staff.serviceToken, appt.id, 'move', { at: slot(t1, 3, '18:00') });
    const moved = await act(staff.serviceToken, appt.id, 'move', { at: slot(t1, 3, '15:00'), reason: '医生手术改期' });

    expect(outside.status).toBe(400);
    expect(outside.body.error).toMatchObject({ code: 'APPOINTMENT_OUTSIDE_HOURS', details: { field: 'body.at' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'confirmed', at: new Date(slot(t1, 3, '15:00')).toISOString() });
    const detail = await t1.http.get(`/api/staff/appointments/${appt.id}`).set(bearer(staff.directorToken));
    expect(detail.body.events.map((e: { action: string }) => e.action)).toEqual(['requested', 'confirmed', 'moved']);
    expect(detail.body.events[2]).toMatchObject({ from: new Date(slot(t1, 2, '10:00')).toISOString(), to: new Date(slot(t1, 3, '15:00')).toISOString(), reason: '医生手术改期' });
    const notices = await noticesOf(client.id);
    expect(notices.map((n) => n.dedupeKey).sort()).toEqual([`appointment:${appt.id}:1`, `appointment:${appt.id}:2`]);
  });

  it('moves, cancels and confirmations in the wrong state are 409: cancelled, or already started', async () => {
    const { token } = await consentingClient(t1);
    const { body: cancelled } = await ask(token, slot(t1, 1, '10:00'));
    const { body: started } = await ask(token, slot(t1, 1, '11:00'));
    expect((await act(staff.serviceToken, cancelled.id, 'cancel', { reason: '客户改期' })).body.status).toBe('cancelled');
    await act(staff.serviceToken, started.id, 'confirm');
    t1.clock.advance(DAY + HOUR + 15 * 60_000); // 11:15 tomorrow: the second one has started

    const results = await Promise.all([
      act(staff.serviceToken, cancelled.id, 'move', { at: slot(t1, 2, '10:00') }),
      act(staff.serviceToken, cancelled.id, 'cancel', {}),
      act(staff.serviceToken, cancelled.id, 'confirm'),
      t1.http.post(`/api/mp/appointments/${cancelled.id}/cancel`).set(bearer(token)),
      act(staff.serviceToken, started.id, 'move', { at: slot(t1, 2, '10:00') }),
      t1.http.post(`/api/mp/appointments/${started.id}/cancel`).set(bearer(token)),
    ]);

    expect(results.map((r) => r.status)).toEqual([409, 409, 409, 409, 409, 409]);
    expect(new Set(results.map((r) => r.body.error.code))).toEqual(new Set(['APPOINTMENT_STATE_INVALID']));
    expect(results[4].body.error.details).toMatchObject({ status: 'confirmed', started: true });
  });

  it('complete and no-show only for a confirmed appointment that has started', async () => {
    const { token } = await consentingClient(t1);
    const { body: a } = await ask(token, slot(t1, 1, '10:00'));
    const { body: b } = await ask(token, slot(t1, 1, '14:00'));
    const { body: unconfirmed } = await ask(token, slot(t1, 1, '15:00'));
    await act(staff.serviceToken, a.id, 'confirm');
    await act(staff.serviceToken, b.id, 'confirm');

    const early = await act(staff.serviceToken, a.id, 'complete');
    t1.clock.advance(DAY + 6 * HOUR); // 16:00 tomorrow
    const done = await act(staff.serviceToken, a.id, 'complete');
    const noShow = await act(staff.serviceToken, b.id, 'no-show');
    const notConfirmed = await act(staff.serviceToken, unconfirmed.id, 'complete');

    expect(early.status).toBe(409);
    expect(done.body.status).toBe('completed');
    expect(noShow.body.status).toBe('no_show');
    expect(notConfirmed.status).toBe(409);
    expect(notConfirmed.body.error.details).toMatchObject({ status: 'requested' });
  });

  it('a client cancels their own appointment (staff are alerted) but another client\'s is 404', async () => {
    const owner = await consentingClient(t1);
    const other = await consentingClient(t1);
    const { body: appt } = await ask(owner.token, slot(t1, 2));

    const foreign = await t1.http.post(`/api/mp/appointments/${appt.id}/cancel`).set(bearer(other.token));
    const own = await t1.http.post(`/api/mp/appointments/${appt.id}/cancel`).set(bearer(owner.token));

    expect(foreign.status).toBe(404);
    expect((await t1.http.get(`/api/mp/appointments/${appt.id}`).set(bearer(other.token))).status).toBe(404);
    expect(own.body.status).toBe('cancelled');
    const alerts = await t1.services.outbox.listForClient(owner.client.id, 'staff_alert');
    expect(alerts.map((a) => a.payload.event)).toEqual(['appointment_cancelled_by_client']);
  });

  it('a consultant lists and handles only their own clients\' appointments; the list is audited', async () => {
    const mine = await consentingClient(t1, { consultant: staff.consultant });
    const notMine = await consentingClient(t1);
    const { body: a } = await ask(mine.token, slot(t1, 5, '10:00'));
    const { body: b } = await ask(notMine.token, slot(t1, 5, '10:30'));
    const day = slot(t1, 5).slice(0, 10);

    const asConsultant = await t1.http.get(`/api/staff/appointments?from=${day}&to=${day}`).set(bearer(staff.consultantToken));
    const asDesk = await t1.http.get(`/api/staff/appointments?from=${day}&to=${day}&status=requested`).set(bearer(staff.serviceToken));
    const foreign = await act(staff.consultantToken, b.id, 'confirm');

    expect(asConsultant.body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    expect(asDesk.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(foreign.status).toBe(404);
    const [row] = await t1.deps.db.query("SELECT status FROM appointments WHERE public_id = ?", [b.id]);
    expect(row.status).toBe('requested');
    const [audit] = await t1.deps.db.query(
      "SELECT details FROM audit_log WHERE action = 'appointment.list' AND actor_id = ? ORDER BY id DESC LIMIT 1", [staff.consultant.id],
    );
    const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
    expect(details.clientIds).toEqual([mine.client.id]);
  });

  it('a staff list with the end before the start is 400', async () => {
    const res = await t1.http.get('/api/staff/appointments?from=2026-06-10&to=2026-06-09').set(bearer(staff.directorToken));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'query.to' })]);
  });

  it('10 concurrent confirmations on two instances: one succeeds, one notice', async () => {
    const { client, token } = await consentingClient(t1);
    const { body: appt } = await ask(token, slot(t1, 2));

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => act(staff.serviceToken, appt.id, 'confirm', undefined, i % 2 ? t2.http : t1.http)));

    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    expect(await noticesOf(client.id)).toHaveLength(1);
  });

  it('confirming the appointment of an intent letter books the client', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    const letter = await t1.http.post(`/api/mp/plans/${planId}/accept`).set(bearer(token)).send({ revision: 1, appointment: { at: slot(t1, 7, '09:00'), kind: 'consultation' } });

    const confirmed = await act(staff.serviceToken, letter.body.appointment.id, 'confirm');

    expect(confirmed.body).toMatchObject({ status: 'confirmed', letterId: letter.body.id });
    expect((await t1.services.journey.history(client.id)).map((h) => h.to)).toEqual(['plan_proposed', 'plan_accepted', 'booked']);
    const seen = await t1.http.get(`/api/mp/intent-letters/${letter.body.id}`).set(bearer(token));
    expect(seen.body.appointment.status).toBe('confirmed');
    expect(seen.body.snapshot.appointment.at).toBe(new Date(slot(t1, 7, '09:00')).toISOString());
  });
});
