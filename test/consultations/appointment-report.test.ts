import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { consentingClient } from '../helpers/consultations';
import type { Staff } from '../../src/modules/staff';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`).toISOString();

// The report counts every appointment of its dates: a database of its own.
describe('the appointment report: booked, completed, cancelled and no-shows per doctor and kind', () => {
  let t: TestContext;
  let director: string;
  let service: string;
  let drA: Staff;
  let drB: Staff;

  beforeAll(async () => {
    t = await createTestContext({ now: NOW, isolatedDatabase: true });
    director = await staffToken(t, await createStaff(t, 'director'));
    service = await staffToken(t, await createStaff(t, 'customer_service'));
    drA = await createStaff(t, 'doctor', { displayName: '王医生' });
    drB = await createStaff(t, 'doctor', { displayName: '赵医生' });
    for (const d of [drA, drB]) {
      await t.http.put(`/api/staff/doctor-schedules/${d.publicId}`).set(bearer(director))
        .send({ slotCapacity: 3, week: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, from: '09:00', until: '17:00' })) }).expect(200);
    }
  });
  afterAll(() => t?.close());

  async function book(doctor: Staff, kind: string, at: string): Promise<string> {
    const { client } = await consentingClient(t);
    const res = await t.http.post('/api/staff/appointments').set(bearer(service)).send({ client: client.publicId, kind, doctor: doctor.publicId, at: sh(at) });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  const act = (id: string, action: string) => t.http.post(`/api/staff/appointments/${id}/${action}`).set(bearer(service)).send({});

  it('counts by slot date, per doctor and kind, with totals; a no-show marked by staff counts', async () => {
    // Arrange: on Tuesday and Wednesday, four consultations with Dr Wang and a review with Dr Zhao; one consultation next month.
    const done = await book(drA, 'consultation', '2026-06-02 10:00');
    const missed = await book(drA, 'consultation', '2026-06-02 11:00');
    const cancelled = await book(drA, 'consultation', '2026-06-03 10:00');
    await book(drA, 'consultation', '2026-06-03 11:00');
    const review = await book(drB, 'review', '2026-06-03 09:00');
    await book(drB, 'review', '2026-07-01 09:00');
    await act(cancelled, 'cancel').expect(200);
    t.clock.set(sh('2026-06-03 12:00'));
    await act(done, 'complete').expect(200);
    await act(missed, 'no-show').expect(200);
    await act(review, 'no-show').expect(200);

    // Act
    const res = await t.http.get('/api/staff/reports/appointments?from=2026-06-01&to=2026-06-07').set(bearer(director));
    const oneDay = await t.http.get('/api/staff/reports/appointments?from=2026-06-03&to=2026-06-03').set(bearer(director));
    const asService = await t.http.get('/api/staff/reports/appointments').set(bearer(service));
    const backwards = await t.http.get('/api/staff/reports/appointments?from=2026-06-07&to=2026-06-01').set(bearer(director));

    // Assert
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2026-06-01', to: '2026-06-07',
      rows: [
        { doctor: { id: drA.publicId, name: '王医生' }, kind: 'consultation', booked: 4, completed: 1, cancelled: 1, noShow: 1, open: 1 },
        { doctor: { id: drB.publicId, name: '赵医生' }, kind: 'review', booked: 1, completed: 0, cancelled: 0, noShow: 1, open: 0 },
      ],
      totals: { booked: 5, completed: 1, cancelled: 1, noShow: 2, open: 1 },
    });
    expect(oneDay.body.totals).toEqual({ booked: 3, completed: 0, cancelled: 1, noShow: 1, open: 1 });
    expect(asService.status).toBe(403);
    expect(backwards.body.error).toMatchObject({ code: 'METRICS_RANGE_INVALID', details: { field: 'query.to' } });
  });

  it('the same counts come from the consultations module\'s public method', async () => {
    const report = await t.services.consultations.metrics.appointments({ from: '2026-06-01', to: '2026-06-07' });
    expect(report.totals.booked).toBe(5);
  });
});
