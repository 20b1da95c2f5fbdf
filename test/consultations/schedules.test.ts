import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { consentingClient } from '../helpers/consultations';
import { recordOrder, seededProject } from '../helpers/orders';
import type { Staff } from '../../src/modules/staff';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`).toISOString();
const WEEKDAYS = [1, 2, 3, 4, 5];
const WEEK = WEEKDAYS.flatMap((weekday) => [{ weekday, from: '09:00', until: '12:00' }, { weekday, from: '14:00', until: '17:00' }]);

describe('doctors\' hours, slot capacity and no double booking', () => {
  let t1: TestContext;
  let t2: TestContext;
  let director: string;
  let service: string;
  let doctorToken: string;
  let drA: Staff; // one client a slot, weekdays 09–12 and 14–17
  let drB: Staff; // two clients a slot, Tuesdays 09–12

  beforeAll(async () => {
    [t1, t2] = await Promise.all([createTestContext({ now: NOW }), createTestContext({ now: NOW })]);
    director = await staffToken(t1, await createStaff(t1, 'director'));
    service = await staffToken(t1, await createStaff(t1, 'customer_service'));
    drA = await createStaff(t1, 'doctor', { displayName: '王医生' });
    drB = await createStaff(t1, 'doctor', { displayName: '赵医生' });
    doctorToken = await staffToken(t1, drA);
    await setWeek(drA, { slotCapacity: 1, week: WEEK }).expect(200);
    await setWeek(drB, { slotCapacity: 2, week: [{ weekday: 2, from: '09:00', until: '12:00' }] }).expect(200);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });
  beforeEach(() => {
    t1.clock.set(NOW);
    t2.clock.set(NOW);
  });

  function setWeek(doctor: Staff, body: object, token = director) {
    return t1.http.put(`/api/staff/doctor-schedules/${doctor.publicId}`).set(bearer(token)).send(body);
  }
  const ask = (token: string, at: string, extra: object = {}, t: TestContext = t1) =>
    t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: sh(at), ...extra });
  const slots = async (token: string, date: string, doctor: Staff, kind = 'consultation') =>
    (await t1.http.get(`/api/mp/appointment-slots?date=${date}&kind=${kind}&doctor=${doctor.publicId}`).set(bearer(token))).body.slots
      .map((s: { at: string; doctors: { free: number }[] }) => [new Date(s.at).toISOString(), s.doctors[0].free]);
  const openAt = async (doctor: Staff, at: string) =>
    Number((await t1.deps.db.query("SELECT COUNT(*) AS n FROM appointments WHERE doctor_id = ? AND starts_at = ? AND status IN ('requested', 'confirmed')", [doctor.id, new Date(sh(at))]))[0].n);

  it('the director sets a week and a capacity; other roles are refused; ranges that run backwards or overlap are 400 naming the range', async () => {
    const list = await t1.http.get('/api/staff/doctor-schedules').set(bearer(service));
    const byDoctor = await setWeek(drA, { slotCapacity: 1, week: WEEK }, doctorToken);
    const backwards = await setWeek(drA, { slotCapacity: 1, week: [{ weekday: 1, from: '12:00', until: '09:00' }] });
    const overlap = await setWeek(drA, { slotCapacity: 1, week: [{ weekday: 1, from: '09:00', until: '12:00' }, { weekday: 1, from: '11:00', until: '13:00' }] });
    const zero = await setWeek(drA, { slotCapacity: 0, week: WEEK });

    expect(list.status).toBe(200);
    expect(list.body.items.find((d: { doctor: { id: string } }) => d.doctor.id === drA.publicId)).toMatchObject({ slotCapacity: 1, week: WEEK });
    expect(byDoctor.status).toBe(403);
    expect(backwards.body.error.details).toEqual([expect.objectContaining({ field: 'body.week[0]' })]);
    expect(overlap.body.error.details).toEqual([expect.objectContaining({ field: 'body.week[1]' })]);
    expect(zero.status).toBe(400);
    expect((await t1.http.get('/api/staff/doctor-schedules').set(bearer(service))).body.items.find((d: { doctor: { id: string } }) => d.doctor.id === drA.publicId).week).toEqual(WEEK);
  });

  it('the slots offered to a client follow the doctor\'s hours, places left and a dated exception', async () => {
    const { token } = await consentingClient(t1);
    const { token: other } = await consentingClient(t1);

    const before = await slots(token, '2026-06-02', drA);
    await ask(other, '2026-06-02 09:30', { doctor: drA.publicId }).expect(201);
    const after = await slots(token, '2026-06-02', drA);
    await t1.http.put(`/api/staff/doctor-schedules/${drA.publicId}/exceptions/2026-06-03`).set(bearer(director)).send({ hours: [] }).expect(200);
    const dayOff = await slots(token, '2026-06-03', drA);
    await t1.http.put(`/api/staff/doctor-schedules/${drA.publicId}/exceptions/2026-06-03`).set(bearer(director)).send({ hours: [{ from: '15:00', until: '16:30' }] }).expect(200);
    const short = await slots(token, '2026-06-03', drA);
    const offAsk = await ask(token, '2026-06-03 10:00', { doctor: drA.publicId });
    await t1.http.delete(`/api/staff/doctor-schedules/${drA.publicId}/exceptions/2026-06-03`).set(bearer(director)).expect(200);

    expect(before.map(([at]: [string]) => at)).toEqual(
      ['09:00', '09:30', '10:00', '10:30', '11:00', '11:30', '14:00', '14:30', '15:00', '15:30', '16:00', '16:30'].map((h) => sh(`2026-06-02 ${h}`)),
    );
    expect(before.every(([, free]: [string, number]) => free === 1)).toBe(true);
    expect(after.find(([at]: [string]) => at === sh('2026-06-02 09:30'))[1]).toBe(0);
    expect(dayOff).toEqual([]);
    expect(short.map(([at]: [string]) => at)).toEqual([sh('2026-06-03 15:00'), sh('2026-06-03 15:30'), sh('2026-06-03 16:00')]);
    expect(offAsk.status).toBe(400);
    expect(offAsk.body.error).toMatchObject({ code: 'APPOINTMENT_DOCTOR_UNAVAILABLE', details: { field: 'body.at', hours: [{ from: '15:00', until: '16:30' }] } });
  });

  it('outside the doctor\'s hours is 400; the last place of a slot taken is 409 and nothing is written', async () => {
    const { client, token } = await consentingClient(t1);
    const { token: second } = await consentingClient(t1);

    const lunch = await ask(token, '2026-06-04 12:00', { doctor: drA.publicId });
    const first = await ask(token, '2026-06-04 10:00', { doctor: drA.publicId });
    const full = await ask(second, '2026-06-04 10:00', { doctor: drA.publicId });
    const noDoctor = await ask(second, '2026-06-04 10:00', { doctor: client.publicId });

    expect(lunch.body.error).toMatchObject({ code: 'APPOINTMENT_DOCTOR_UNAVAILABLE', details: { field: 'body.at' } });
    expect(first.status).toBe(201);
    expect(first.body.doctor).toEqual({ id: drA.publicId, name: '王医生' });
    expect(full.status).toBe(409);
    expect(full.body.error).toMatchObject({ code: 'APPOINTMENT_SLOT_FULL', details: { field: 'body.at', capacity: 1 } });
    expect(noDoctor.body.error).toMatchObject({ code: 'APPOINTMENT_DOCTOR_INVALID', details: { field: 'body.doctor' } });
    expect(await openAt(drA, '2026-06-04 10:00')).toBe(1);
  });

  it('four requests at once on two instances for the last place in a slot: one gets it, three are 409', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => consentingClient(t1)));
    await ask(clients[4].token, '2026-06-02 10:00', { doctor: drB.publicId }).expect(201);

    const results = await Promise.all(clients.slice(0, 4).map((c, i) => ask(c.token, '2026-06-02 10:00', { doctor: drB.publicId }, i % 2 ? t2 : t1)));

    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'APPOINTMENT_SLOT_FULL')).toBe(true);
    expect(await openAt(drB, '2026-06-02 10:00')).toBe(2);
  });

  it('a two-hour procedure takes a place in every slot it covers', async () => {
    const { token } = await consentingClient(t1);
    const { token: other } = await consentingClient(t1);
    await ask(token, '2026-06-05 10:30', { doctor: drA.publicId }).expect(201);

    const over = await ask(other, '2026-06-05 09:00', { doctor: drA.publicId, kind: 'procedure' });
    const clear = await ask(other, '2026-06-05 14:00', { doctor: drA.publicId, kind: 'procedure' });
    const inside = await ask(token, '2026-06-05 15:30', { doctor: drA.publicId });
    const pastHours = await ask(token, '2026-06-05 11:00', { doctor: drA.publicId, kind: 'procedure' });

    expect(over.body.error.code).toBe('APPOINTMENT_SLOT_FULL');
    expect(clear.status).toBe(201);
    expect(clear.body).toMatchObject({ kind: 'procedure', durationMinutes: 120 });
    expect(inside.body.error.code).toBe('APPOINTMENT_SLOT_FULL');
    expect(pastHours.body.error.code).toBe('APPOINTMENT_DOCTOR_UNAVAILABLE');
  });

  it('staff book a client with a doctor (confirmed at once); a move into a full slot is 409 and changes nothing; a move to another doctor takes their place', async () => {
    const { client } = await consentingClient(t1);
    const { token: rival } = await consentingClient(t1);
    await ask(rival, '2026-06-09 11:00', { doctor: drA.publicId }).expect(201);

    const made = await t1.http.post('/api/staff/appointments').set(bearer(service))
      .send({ client: client.publicId, kind: 'review', doctor: drA.publicId, at: sh('2026-06-09 10:00'), note: '术后一月复查' });
    const full = await t1.http.post(`/api/staff/appointments/${made.body.id}/move`).set(bearer(service)).send({ at: sh('2026-06-09 11:00') });
    const toB = await t1.http.post(`/api/staff/appointments/${made.body.id}/move`).set(bearer(service)).send({ at: sh('2026-06-09 11:00'), doctor: drB.publicId });

    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ kind: 'review', status: 'confirmed', doctor: { id: drA.publicId }, note: '术后一月复查', client: { id: client.publicId } });
    expect(full.body.error.code).toBe('APPOINTMENT_SLOT_FULL');
    expect(toB.status).toBe(200);
    expect(toB.body).toMatchObject({ status: 'confirmed', doctor: { id: drB.publicId }, at: sh('2026-06-09 11:00') });
    expect(await openAt(drA, '2026-06-09 10:00')).toBe(0);
  });

  it('a request made without a doctor is confirmed naming one, within that doctor\'s capacity', async () => {
    const { token } = await consentingClient(t1);
    const { token: rival } = await consentingClient(t1);
    await ask(rival, '2026-06-10 10:00', { doctor: drA.publicId }).expect(201);
    const { body: appt } = await ask(token, '2026-06-10 10:00');

    const full = await t1.http.post(`/api/staff/appointments/${appt.id}/confirm`).set(bearer(service)).send({ doctor: drA.publicId });
    const off = await t1.http.post(`/api/staff/appointments/${appt.id}/confirm`).set(bearer(service)).send({ doctor: drB.publicId });

    expect(appt.doctor).toBeNull();
    expect(full.body.error.code).toBe('APPOINTMENT_SLOT_FULL');
    expect(off.body.error).toMatchObject({ code: 'APPOINTMENT_DOCTOR_UNAVAILABLE', details: { field: 'body.doctor' } });
    expect((await t1.http.get(`/api/mp/appointments/${appt.id}`).set(bearer(token))).body).toMatchObject({ status: 'requested', doctor: null });
  });

  it('completing a procedure appointment records its treatment once, even clicked twice on two instances', async () => {
    const { client } = await consentingClient(t1);
    const project = await seededProject(t1, 'rhinoplasty');
    const order = await recordOrder(t1, { client, doctor: drA, treated: false, items: [{ projectId: project.id, amountFen: 2_800_000 }] });
    const made = await t1.http.post('/api/staff/appointments').set(bearer(service))
      .send({ client: client.publicId, kind: 'procedure', doctor: drA.publicId, at: sh('2026-06-01 14:00') }).expect(201);
    t1.clock.set(sh('2026-06-01 16:10'));
    t2.clock.set(sh('2026-06-01 16:10'));
    const complete = (t: TestContext, body: object) => t.http.post(`/api/staff/appointments/${made.body.id}/complete`).set(bearer(doctorToken)).send(body);

    const missing = await complete(t1, {});
    const [a, b] = await Promise.all([complete(t1, { order: order.id, project: project.id, notes: '鼻背假体' }), complete(t2, { order: order.id, project: project.id, notes: '鼻背假体' })]);

    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d: { field: string }) => d.field)).toEqual(['body.order', 'body.project']);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.treatmentId).toEqual(expect.any(String));
    expect(b.body.treatmentId).toBe(a.body.treatmentId);
    const treatments = await t1.deps.db.query('SELECT public_id, request_id, performed_at FROM treatments WHERE client_id = ?', [client.id]);
    expect(treatments).toEqual([{ public_id: a.body.treatmentId, request_id: `appointment:${made.body.id}`, performed_at: new Date(sh('2026-06-01 14:00')) }]);
    const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM followup_steps WHERE client_id = ? AND status = 'scheduled'", [client.id]);
    expect(Number(n)).toBeGreaterThan(0);
  });
});
