import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createStaff, staffToken } from '../helpers/factories';
import { consentingClient } from '../helpers/consultations';
import { bindContact, RecordingChannel } from '../helpers/delivery';
import { reminderTimes } from '../../src/modules/consultations';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';
const MINUTE = 60_000;
/** An instant given on the Shanghai clock. */
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const RULES = { dayBeforeAt: '16:00', hoursBefore: 2, quietMarginMinutes: 30 };
const QUIET = { startMinute: 21 * 60, endMinute: 9 * 60 };
const times = (startsAt: string, now: string, rules = RULES, quiet: typeof QUIET | null = QUIET) =>
  reminderTimes(sh(startsAt), sh(now), rules, quiet).map((r) => [r.kind, r.dueAt.toISOString()]);

describe('when appointment reminders go (the day before at 16:00, two hours before; quiet hours 21:00–09:00)', () => {
  it('goes the day before at the set hour and two hours before', () => {
    expect(times('2026-06-03 11:00', '2026-06-01 10:00')).toEqual([
      ['day_before', sh('2026-06-02 16:00').toISOString()],
      // 09:00 is the end of the quiet hours: outside them.
      ['hours_before', sh('2026-06-03 09:00').toISOString()],
    ]);
  });

  it('a two-hour reminder inside the quiet hours is dropped when the day-before one goes', () => {
    expect(times('2026-06-03 10:30', '2026-06-01 10:00')).toEqual([['day_before', sh('2026-06-02 16:00').toISOString()]]);
  });

  it('… and moves to 30 minutes before the quiet hours began when the day-before one has passed', () => {
    expect(times('2026-06-03 10:30', '2026-06-02 17:00')).toEqual([['hours_before', sh('2026-06-02 20:30').toISOString()]]);
  });

  it('the day-before reminder is queued up to the minute before its time, not at it', () => {
    expect(times('2026-06-03 14:00', '2026-06-02 15:59').map(([k]) => k)).toEqual(['day_before', 'hours_before']);
    expect(times('2026-06-03 14:00', '2026-06-02 16:00').map(([k]) => k)).toEqual(['hours_before']);
  });

  it('the two-hour reminder is queued while more than two hours remain, not at two hours', () => {
    expect(times('2026-06-03 14:00', '2026-06-03 11:59')).toEqual([['hours_before', sh('2026-06-03 12:00').toISOString()]]);
    expect(times('2026-06-03 14:00', '2026-06-03 12:00')).toEqual([]);
  });

  it('a day-before time at the last minute before the quiet hours stays; at their start it moves earlier', () => {
    expect(times('2026-06-03 14:00', '2026-06-01 10:00', { ...RULES, dayBeforeAt: '20:59' })[0]).toEqual(['day_before', sh('2026-06-02 20:59').toISOString()]);
    expect(times('2026-06-03 14:00', '2026-06-01 10:00', { ...RULES, dayBeforeAt: '21:00' })[0]).toEqual(['day_before', sh('2026-06-02 20:30').toISOString()]);
  });

  it('two hours before at the last quiet minute (08:59) moves; at 09:00 it stays', () => {
    expect(times('2026-06-03 10:59', '2026-06-02 17:00').map(([, at]) => at)).toEqual([sh('2026-06-02 20:30').toISOString()]);
    expect(times('2026-06-03 11:00', '2026-06-02 17:00').map(([, at]) => at)).toEqual([sh('2026-06-03 09:00').toISOString()]);
  });

  it('without quiet hours nothing moves', () => {
    expect(times('2026-06-03 10:30', '2026-06-01 10:00', RULES, null).map(([, at]) => at)).toEqual([
      sh('2026-06-02 16:00').toISOString(), sh('2026-06-03 08:30').toISOString(),
    ]);
  });

  it('a reminder across a month end and a leap day lands on the calendar day before', () => {
    expect(times('2028-03-01 10:00', '2028-02-20 10:00')[0]).toEqual(['day_before', sh('2028-02-29 16:00').toISOString()]);
    expect(times('2026-07-01 10:00', '2026-06-20 10:00')[0]).toEqual(['day_before', sh('2026-06-30 16:00').toISOString()]);
  });
});

describe('appointment reminders through the outbox', () => {
  let t: TestContext;
  let serviceToken: string;

  beforeAll(async () => {
    // A database of its own: its drains take every due row, and other files' due rows would crowd (and be taken by) its batches.
    t = await createTestContext({ now: NOW, isolatedDatabase: true });
    serviceToken = await staffToken(t, await createStaff(t, 'customer_service'));
  });
  afterAll(() => t?.close());
  beforeEach(() => t.clock.set(NOW));

  const reminders = async (clientId: number) => (await t.services.outbox.listForClient(clientId, 'client_message'))
    .filter((n) => n.payload.purpose === 'reminder')
    .map((n) => ({ key: n.dedupeKey, dueAt: n.dueAt.toISOString(), status: n.status, text: String(n.payload.text) }))
    .sort((a, b) => a.key.localeCompare(b.key));

  /** A client with subscription credits, asking for a slot that staff confirm. */
  async function confirmedAppointment(at: string) {
    const { client, token } = await consentingClient(t);
    // One subscribe-message credit per message: the confirmation, a move's notice, a reminder.
    for (let i = 0; i < 3; i++) await t.services.delivery.recordSubscription(client.id, t.config.care.subscribeTemplateId, 'accept');
    const { body } = await t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: sh(at).toISOString() });
    await t.http.post(`/api/staff/appointments/${body.id}/confirm`).set(bearer(serviceToken)).expect(200);
    return { client, id: body.id as string };
  }

  it('confirming queues the day-before and two-hour reminders as client messages (subscribe message, staff task as the last resort)', async () => {
    const { client, id } = await confirmedAppointment('2026-06-03 14:00');

    const queued = await reminders(client.id);

    expect(queued).toEqual([
      { key: `appointment_reminder:${id}:1:day_before`, dueAt: sh('2026-06-02 16:00').toISOString(), status: 'pending', text: expect.stringContaining('明天 14:00') },
      { key: `appointment_reminder:${id}:1:hours_before`, dueAt: sh('2026-06-03 12:00').toISOString(), status: 'pending', text: expect.stringContaining('今天 14:00') },
    ]);
    const [row] = (await t.services.outbox.listForClient(client.id, 'client_message')).filter((n) => n.payload.purpose === 'reminder');
    expect(row.payload).toMatchObject({ templateId: t.config.care.subscribeTemplateId, card: { pagePath: 'packageSurvey/appointments/index' } });
  });

  it('an appointment moved after its reminder was queued: the old reminder never goes out, the new one does', async () => {
    const { client, id } = await confirmedAppointment('2026-06-03 14:00');

    await t.http.post(`/api/staff/appointments/${id}/move`).set(bearer(serviceToken)).send({ at: sh('2026-06-04 15:00').toISOString() }).expect(200);
    // Delivery runs past the old reminders' times and the new day-before one (the scheduler's drain takes client messages 5 minutes overdue).
    await t.services.delivery.drain(null, { now: new Date(sh('2026-06-03 16:00').getTime() + 6 * MINUTE) });

    const after = await reminders(client.id);
    expect(after.filter((r) => r.key.includes(':1:')).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    const fresh = after.filter((r) => r.key.includes(':2:'));
    expect(fresh.map((r) => [r.dueAt, r.status])).toEqual([[sh('2026-06-03 16:00').toISOString(), 'sent'], [sh('2026-06-04 13:00').toISOString(), 'pending']]);
    expect(fresh[0].text).toContain('明天 15:00');
    const [sent] = await t.deps.db.query('SELECT channel FROM outbox_messages WHERE dedupe_key = ?', [fresh[0].key]);
    expect(sent.channel).toBe('subscribe');
  });

  it('quiet hours hold a reminder that fell due (delivery never sends one inside them)', async () => {
    const { client, id } = await confirmedAppointment('2026-06-03 14:00');

    const report = await t.services.delivery.drain(null, { now: sh('2026-06-02 22:00') });

    expect(report.sent).toBe(0);
    const [row] = await t.deps.db.query('SELECT status FROM outbox_messages WHERE dedupe_key = ?', [`appointment_reminder:${id}:1:day_before`]);
    expect(row.status).toBe('pending');
    expect((await reminders(client.id)).every((r) => r.status === 'pending')).toBe(true);
  });

  it('a cancelled appointment\'s reminders are withdrawn, by staff or by the client', async () => {
    const byStaff = await confirmedAppointment('2026-06-03 14:00');
    const byClient = await confirmedAppointment('2026-06-03 15:00');
    const token = await clientToken(t, byClient.client);

    await t.http.post(`/api/staff/appointments/${byStaff.id}/cancel`).set(bearer(serviceToken)).send({}).expect(200);
    await t.http.post(`/api/mp/appointments/${byClient.id}/cancel`).set(bearer(token)).expect(200);

    expect((await reminders(byStaff.client.id)).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect((await reminders(byClient.client.id)).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a requested appointment not yet confirmed has no reminders', async () => {
    const { client, token } = await consentingClient(t);
    await t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: sh('2026-06-03 14:00').toISOString() }).expect(201);
    expect(await reminders(client.id)).toEqual([]);
  });

  describe('a reminder a drain has already claimed (the bot sends the client\'s earlier message first)', () => {
    // The day-before reminder of an appointment on 06-03 at 14:00 falls due at 16:00 the day before.
    const DUE = sh('2026-06-02 16:01');
    const OLD_TEXT = '明天 14:00';

    /** A confirmed appointment whose client is a WeCom contact of the bot's account; nothing else of this file waits in the queue. */
    async function boundAppointment() {
      await t.deps.db.query("UPDATE outbox_messages SET status = 'cancelled', claim_token = NULL WHERE status IN ('pending', 'sending')");
      const ch = new RecordingChannel();
      const appointment = await confirmedAppointment('2026-06-03 14:00');
      const contact = await bindContact(t, appointment.client, ch.accountId, await createStaff(t, 'director'));
      return { ...appointment, ch, contact };
    }
    const status = async (key: string) => (await t.deps.db.query('SELECT status, channel FROM outbox_messages WHERE dedupe_key = ?', [key]))[0];
    const move = (id: string) => t.http.post(`/api/staff/appointments/${id}/move`).set(bearer(serviceToken)).send({ at: sh('2026-06-04 15:00').toISOString() }).expect(200);

    it('moved after the claim and before its send: it never goes out, and is recorded as cancelled', async () => {
      const { id, ch, contact } = await boundAppointment();
      ch.hold();

      // Claimed in one batch with the confirmation (and the client's tag sync), which go first in the client's lane: the first send waits.
      const drain = t.services.delivery.drain(ch, { now: DUE });
      await ch.sent(1);
      expect(await status(`appointment_reminder:${id}:1:day_before`)).toMatchObject({ status: 'sending' });
      await move(id);
      ch.release();
      await drain;

      expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual([expect.stringContaining('预约已确认')]);
      expect(ch.sends.some((s) => s.message?.text.includes(OLD_TEXT))).toBe(false);
      expect(await status(`appointment_reminder:${id}:1:day_before`)).toMatchObject({ status: 'cancelled', channel: null });
      expect(await status(`appointment_reminder:${id}:2:day_before`)).toMatchObject({ status: 'pending' });
    });

    it('moved once its send has begun: it went out before the move, stays recorded as sent, and the move still succeeds', async () => {
      const { id, ch, contact } = await boundAppointment();
      await t.services.delivery.drain(ch, { now: sh('2026-06-01 10:00') });
      expect(ch.to('contact', contact).map((s) => s.message!.text)).toEqual([expect.stringContaining('预约已确认')]);
      const before = ch.sends.length;
      ch.hold();

      // The reminder's send is under way (WeCom has it) when staff move the appointment.
      const drain = t.services.delivery.drain(ch, { now: DUE });
      await ch.sent(before + 1);
      await move(id);
      ch.release();
      await drain;

      expect(ch.to('contact', contact)[1].message!.text).toContain(OLD_TEXT);
      expect(await status(`appointment_reminder:${id}:1:day_before`)).toMatchObject({ status: 'sent', channel: 'wecom' });
      expect(await status(`appointment_reminder:${id}:1:hours_before`)).toMatchObject({ status: 'cancelled' });
      expect(await status(`appointment_reminder:${id}:2:day_before`)).toMatchObject({ status: 'pending' });
    });
  });
});
