import type { DataSource, EntityManager } from 'typeorm';
import { runInTransaction } from '../../shared/db';
import { shanghaiDate, type Clock } from '../../shared/clock';
import type { Actor, AuditService } from '../audit';
import type { ClientImports, ImportedClient } from '../clients';
import type { ImportedOrder, OrderImports, ProjectRef } from '../orders';
import type { ImportedTreatment, TreatmentImports } from '../care';
import type { ColumnMapping, ImportKind, RowProblem } from './impex.kinds';
import { parseRow } from './impex.kinds';
import type { SheetRow } from './impex.reader';

export interface EngineDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  clientImports: ClientImports;
  orderImports: OrderImports;
  treatmentImports: TreatmentImports;
}

/** What a row became (or would become, in a dry run). */
export type RowOutcome = 'created' | 'matched' | 'unchanged';

export interface ImportCounts {
  created: number;
  matched: number;
  unchanged: number;
  failed: number;
}

/** At most this many problems are listed (all are counted): a file wrong in every row needs fixing, not a 100,000-line list. */
export const MAX_LISTED_PROBLEMS = 5000;

/** One pass over a sheet: its kind, mapping, source system; whether it writes; where progress goes. */
export interface PassOptions {
  kind: ImportKind;
  sourceSystem: string;
  headers: string[];
  mapping: ColumnMapping;
  write: boolean;
  actor: Actor;
  jobId: number | null;
  batchSize: number;
  /** Lines inside merged cells (each is reported, never imported). */
  mergedLines?: (line: number) => string | null;
  /** Source ids an earlier sheet of the same dry run would import (orders of clients not written yet). */
  pending?: Map<ImportKind, Set<string>>;
  onBatch?(rowsDone: number, counts: ImportCounts): Promise<void> | void;
}

export interface PassReport {
  rows: number;
  /** Shanghai months (YYYY-MM) of the orders a real run wrote: the ROI rollup refreshes them. */
  paidMonths?: string[];
  counts: ImportCounts;
  problems: RowProblem[];
  problemCount: number;
}

interface Prepared {
  line: number;
  sourceId: string;
  values: Record<string, unknown>;
}

/** A batch's rows sorted: what each good row becomes, and each bad row's problems. */
interface Classified {
  outcomes: { row: Prepared; outcome: RowOutcome; targetId: number | null; write: unknown }[];
  problems: RowProblem[];
}

const FUTURE_SKEW_MS = 10 * 60_000;

/**
 * Reads a sheet's rows in batches and sorts each row: created, matched (a client found by phone),
 * unchanged (its source id was imported before) or a problem (line, column, reason). A dry run stops
 * there; a real run writes each batch in one transaction — a batch with any bad row writes nothing,
 * and a failure while writing rolls the whole batch back; either way every row of it is reported.
 */
export class ImportEngine {
  constructor(private readonly deps: EngineDeps) {}

  async pass(rows: AsyncIterable<SheetRow>, o: PassOptions): Promise<PassReport> {
    const report: PassReport = { rows: 0, counts: { created: 0, matched: 0, unchanged: 0, failed: 0 }, problems: [], problemCount: 0 };
    const state = new PassState();
    const addProblems = (ps: RowProblem[]) => {
      report.problemCount += ps.length;
      for (const p of ps) if (report.problems.length < MAX_LISTED_PROBLEMS) report.problems.push(p);
    };
    let batch: Prepared[] = [];
    let batchProblems: RowProblem[] = [];
    const flush = async () => {
      if (!batch.length && !batchProblems.length) return;
      const result = await this.runBatch(batch, batchProblems, o, state);
      for (const k of ['created', 'matched', 'unchanged', 'failed'] as const) report.counts[k] += result.counts[k];
      addProblems(result.problems);
      report.rows += result.rows;
      batch = [];
      batchProblems = [];
      await o.onBatch?.(report.rows, report.counts);
    };
    let header = true;
    for await (const r of rows) {
      if (header) { header = false; continue; }
      if (r.cells.every((c) => c === null || String(c).trim() === '')) continue;
      const merged = o.mergedLines?.(r.line);
      const parsed = parseRow(o.kind, o.mapping, o.headers, r.line, r.cells);
      if (merged) parsed.problems.unshift({ line: r.line, column: null, reason: `inside merged cells ${merged}: unmerge them and fill every row` });
      const sourceId = String(parsed.values.sourceId ?? '');
      if (sourceId && !parsed.problems.length) {
        const first = state.sourceLines.get(sourceId);
        if (first !== undefined) parsed.problems.push({ line: r.line, column: o.headers[o.mapping.sourceId] ?? 'sourceId', reason: `source id ${sourceId} repeats line ${first}` });
        else state.sourceLines.set(sourceId, r.line);
      }
      if (parsed.problems.length) batchProblems.push(...parsed.problems);
      else batch.push({ line: r.line, sourceId, values: parsed.values });
      if (batch.length + new Set(batchProblems.map((p) => p.line)).size >= o.batchSize) await flush();
    }
    await flush();
    if (state.paidMonths.size) report.paidMonths = [...state.paidMonths].sort();
    return report;
  }

  private async runBatch(batch: Prepared[], parseProblems: RowProblem[], o: PassOptions, state: PassState): Promise<{ rows: number; counts: ImportCounts; problems: RowProblem[] }> {
    const badLines = new Set(parseProblems.map((p) => p.line));
    const rows = batch.length + badLines.size;
    const counts: ImportCounts = { created: 0, matched: 0, unchanged: 0, failed: 0 };
    const tally = (c: Classified) => {
      for (const x of c.outcomes) counts[x.outcome]++;
      counts.failed = new Set([...parseProblems, ...c.problems].map((p) => p.line)).size;
    };
    if (!o.write) {
      const c = await this.classify(this.deps.db.manager, batch, o, state);
      tally(c);
      return { rows, counts, problems: [...parseProblems, ...c.problems] };
    }
    try {
      return await runInTransaction(this.deps.db, async (m) => {
        const c = await this.classify(m, batch, o, state);
        const problems = [...parseProblems, ...c.problems];
        if (problems.length) throw new BatchRefused(problems);
        await this.write(m, c, o, state);
        tally(c);
        return { rows, counts, problems };
      });
    } catch (err) {
      // Nothing of this batch was written: every row of it is reported, the bad ones with their reasons.
      const problems = err instanceof BatchRefused ? err.problems : [];
      const reason = err instanceof BatchRefused ? null : `not written: the batch failed (${String((err as Error).message).slice(0, 160)})`;
      const named = new Set(problems.map((p) => p.line));
      const lines = [...new Set([...batch.map((b) => b.line), ...badLines])].sort((a, b) => a - b);
      const firstBad = [...named].sort((a, b) => a - b)[0];
      for (const line of lines) {
        if (!named.has(line)) problems.push({ line, column: null, reason: reason ?? `not written: line ${firstBad} in the same batch has a problem` });
      }
      state.forgetWritten(batch);
      problems.sort((a, b) => a.line - b.line);
      return { rows, counts: { created: 0, matched: 0, unchanged: 0, failed: lines.length }, problems };
    }
  }

  private classify(m: EntityManager, batch: Prepared[], o: PassOptions, state: PassState): Promise<Classified> {
    if (o.kind === 'clients') return this.classifyClients(m, batch, o, state);
    if (o.kind === 'orders') return this.classifyOrders(m, batch, o, state);
    return this.classifyTreatments(m, batch, o, state);
  }

  private async links(m: EntityManager, kind: ImportKind, sourceSystem: string, sourceIds: string[]): Promise<Map<string, number>> {
    if (!sourceIds.length) return new Map();
    const rows: { sourceId: string; targetId: number }[] = await m.query(
      'SELECT source_id AS sourceId, target_id AS targetId FROM import_links WHERE source_system = ? AND kind = ? AND source_id IN (?)', [sourceSystem, kind, sourceIds],
    );
    return new Map(rows.map((r) => [r.sourceId, Number(r.targetId)]));
  }

  private column(o: PassOptions, key: string): string {
    return o.headers[o.mapping[key]] ?? key;
  }

  private async classifyClients(m: EntityManager, batch: Prepared[], o: PassOptions, state: PassState): Promise<Classified> {
    const out: Classified = { outcomes: [], problems: [] };
    const linked = await this.links(m, 'clients', o.sourceSystem, batch.map((b) => b.sourceId));
    const phones = batch.map((b) => b.values.phone as string);
    const byPhone = await this.deps.clientImports.idsByPhone(m, phones);
    // Which source id (of this source system) each phone's holder was imported as.
    const holderIds = [...new Set(byPhone.values())];
    const holderLinks: { sourceId: string; targetId: number }[] = holderIds.length
      ? await m.query("SELECT source_id AS sourceId, target_id AS targetId FROM import_links WHERE source_system = ? AND kind = 'clients' AND target_id IN (?)", [o.sourceSystem, holderIds])
      : [];
    const sourceOfHolder = new Map(holderLinks.map((l) => [Number(l.targetId), l.sourceId]));
    const consultants = await state.staffByName(m, 'consultant');
    for (const row of batch) {
      const phone = row.values.phone as string;
      if (linked.has(row.sourceId)) {
        out.outcomes.push({ row, outcome: 'unchanged', targetId: linked.get(row.sourceId)!, write: null });
        continue;
      }
      const earlier = state.phoneLines.get(phone);
      if (earlier !== undefined) {
        out.problems.push({ line: row.line, column: this.column(o, 'phone'), reason: `the same phone as line ${earlier}` });
        continue;
      }
      let consultantId: number | null = null;
      const consultant = row.values.consultant as string | null | undefined;
      if (consultant) {
        consultantId = consultants.get(consultant) ?? null;
        if (consultantId === null) {
          out.problems.push({ line: row.line, column: this.column(o, 'consultant'), reason: `no active consultant is named ${consultant}` });
          continue;
        }
      }
      state.phoneLines.set(phone, row.line);
      const holder = byPhone.get(phone);
      if (holder !== undefined) {
        const other = sourceOfHolder.get(holder);
        if (other !== undefined && other !== row.sourceId) {
          out.problems.push({ line: row.line, column: this.column(o, 'phone'), reason: `the phone belongs to another client (imported as source id ${other})` });
          continue;
        }
        out.outcomes.push({ row, outcome: 'matched', targetId: holder, write: null });
        continue;
      }
      const client: ImportedClient = {
        name: row.values.name as string, phone, gender: (row.values.gender as ImportedClient['gender']) ?? 'unknown', birthDate: (row.values.birthDate as string | null) ?? null,
        address: (row.values.address as string | null) ?? null, sourceChannel: (row.values.sourceChannel as string | null) ?? null, consultantId,
        createdAt: (row.values.createdAt as Date | null) ?? null,
      };
      out.outcomes.push({ row, outcome: 'created', targetId: null, write: client });
    }
    return out;
  }

  private async classifyOrders(m: EntityManager, batch: Prepared[], o: PassOptions, state: PassState): Promise<Classified> {
    const out: Classified = { outcomes: [], problems: [] };
    const linked = await this.links(m, 'orders', o.sourceSystem, batch.map((b) => b.sourceId));
    const clientLinks = await this.links(m, 'clients', o.sourceSystem, batch.map((b) => b.values.client as string));
    const clientIds = [...new Set(clientLinks.values())];
    const consultantOf = new Map<number, number | null>();
    if (clientIds.length) {
      const rows: { id: number; consultantId: number | null }[] = await m.query('SELECT id, consultant_id AS consultantId FROM clients WHERE id IN (?)', [clientIds]);
      for (const r of rows) consultantOf.set(Number(r.id), r.consultantId === null ? null : Number(r.consultantId));
    }
    const taken = await this.deps.orderImports.takenOrderNos(m, batch.filter((b) => !linked.has(b.sourceId)).map((b) => b.sourceId));
    const projects = await state.projects(m, this.deps.orderImports);
    const doctors = await state.staffByName(m, 'doctor');
    const pendingClients = o.pending?.get('clients');
    for (const row of batch) {
      if (linked.has(row.sourceId)) {
        out.outcomes.push({ row, outcome: 'unchanged', targetId: linked.get(row.sourceId)!, write: null });
        // Its month is refreshed again: a run started again after a failure heals what the failed run left.
        if (o.write) state.paidMonths.add(shanghaiDate(row.values.paidAt as Date).slice(0, 7));
        continue;
      }
      const problems: RowProblem[] = [];
      const clientRef = row.values.client as string;
      const clientId = clientLinks.get(clientRef);
      if (clientId === undefined && !(pendingClients?.has(clientRef) && !o.write)) {
        problems.push({ line: row.line, column: this.column(o, 'client'), reason: `client ${clientRef} has not been imported from ${o.sourceSystem} (import clients first)` });
      }
      const project = projects.get(row.values.project as string);
      if (!project) problems.push({ line: row.line, column: this.column(o, 'project'), reason: `no project has the code or name ${row.values.project as string}` });
      const doctorId = doctors.get(row.values.doctor as string);
      if (doctorId === undefined) problems.push({ line: row.line, column: this.column(o, 'doctor'), reason: `no active doctor is named ${row.values.doctor as string}` });
      if (taken.has(row.sourceId)) problems.push({ line: row.line, column: this.column(o, 'sourceId'), reason: `order number ${row.sourceId} is already used by an order not imported from ${o.sourceSystem}` });
      if ((row.values.paidAt as Date).getTime() > this.deps.clock.now().getTime() + FUTURE_SKEW_MS) problems.push({ line: row.line, column: this.column(o, 'paidAt'), reason: 'paid in the future' });
      if (problems.length) {
        out.problems.push(...problems);
        continue;
      }
      const order: ImportedOrder = {
        orderNo: row.sourceId, clientId: clientId ?? 0, doctorId: doctorId!, consultantId: clientId === undefined ? null : consultantOf.get(clientId) ?? null,
        projectId: project!.id, category: project!.category, amountFen: row.values.amountFen as number, paidAt: row.values.paidAt as Date,
      };
      out.outcomes.push({ row, outcome: 'created', targetId: null, write: order });
    }
    return out;
  }

  private async classifyTreatments(m: EntityManager, batch: Prepared[], o: PassOptions, state: PassState): Promise<Classified> {
    const out: Classified = { outcomes: [], problems: [] };
    const linked = await this.links(m, 'treatments', o.sourceSystem, batch.map((b) => b.sourceId));
    const orderRefs = batch.map((b) => b.values.order as string);
    const orderLinks = await this.links(m, 'orders', o.sourceSystem, orderRefs);
    const unlinked = orderRefs.filter((r) => !orderLinks.has(r));
    if (unlinked.length) {
      const rows: { id: number; orderNo: string }[] = await m.query('SELECT id, order_no AS orderNo FROM orders WHERE order_no IN (?)', [unlinked]);
      for (const r of rows) orderLinks.set(r.orderNo, Number(r.id));
    }
    const lines = await this.deps.treatmentImports.orderLines(m, [...new Set(orderLinks.values())]);
    const projects = await state.projects(m, this.deps.orderImports);
    const doctors = await state.staffByName(m, 'doctor');
    const pendingOrders = o.pending?.get('orders');
    for (const row of batch) {
      if (linked.has(row.sourceId)) {
        out.outcomes.push({ row, outcome: 'unchanged', targetId: linked.get(row.sourceId)!, write: null });
        continue;
      }
      const problems: RowProblem[] = [];
      const orderRef = row.values.order as string;
      const orderId = orderLinks.get(orderRef);
      const project = projects.get(row.values.project as string);
      const line = orderId === undefined || !project ? undefined : lines.get(orderId)?.get(project.id);
      if (orderId === undefined) {
        if (!(pendingOrders?.has(orderRef) && !o.write)) problems.push({ line: row.line, column: this.column(o, 'order'), reason: `no order ${orderRef} (import orders first)` });
      } else if (!project) {
        problems.push({ line: row.line, column: this.column(o, 'project'), reason: `no project has the code or name ${row.values.project as string}` });
      } else if (!line) {
        problems.push({ line: row.line, column: this.column(o, 'project'), reason: `order ${orderRef} does not pay for ${project.name}` });
      }
      const doctorName = row.values.doctor as string | null | undefined;
      const doctorId = doctorName ? doctors.get(doctorName) : line?.doctorId;
      if (doctorName && doctorId === undefined) problems.push({ line: row.line, column: this.column(o, 'doctor'), reason: `no active doctor is named ${doctorName}` });
      const performedAt = row.values.performedAt as Date;
      if (performedAt.getTime() > this.deps.clock.now().getTime() + FUTURE_SKEW_MS) problems.push({ line: row.line, column: this.column(o, 'performedAt'), reason: 'performed in the future' });
      if (problems.length) {
        out.problems.push(...problems);
        continue;
      }
      if (!line) {
        // A dry run of an order that an earlier sheet would import: counted, checked in the real run.
        out.outcomes.push({ row, outcome: 'created', targetId: null, write: null });
        continue;
      }
      const sessionNo = (row.values.sessionNo as number | null) ?? (await state.nextSession(m, orderId!, project!.id));
      const t: ImportedTreatment = {
        sourceKey: `${o.sourceSystem}:${row.sourceId}`, orderId: orderId!, clientId: line.clientId, orderItemId: line.itemId, projectId: project!.id, bodyArea: line.bodyArea,
        doctorId: doctorId!, performedAt, sessionNo,
      };
      out.outcomes.push({ row, outcome: 'created', targetId: null, write: t });
    }
    return out;
  }

  /** Writes a classified batch (inside its transaction): the new rows, the source-id links, one audit row. */
  private async write(m: EntityManager, c: Classified, o: PassOptions, state: PassState): Promise<void> {
    const now = this.deps.clock.now();
    const created = c.outcomes.filter((x) => x.outcome === 'created');
    const recordedBy = o.actor.type === 'staff' ? o.actor.id : null;
    let ids: number[] = [];
    if (o.kind === 'clients') ids = await this.deps.clientImports.insertMany(m, created.map((x) => x.write as ImportedClient), now);
    else if (o.kind === 'orders') {
      const orders = created.map((x) => x.write as ImportedOrder);
      ids = await this.deps.orderImports.insertMany(m, orders, recordedBy, now);
      for (const order of orders) state.paidMonths.add(shanghaiDate(order.paidAt).slice(0, 7));
    }
    else ids = await this.deps.treatmentImports.insertMany(m, created.map((x) => x.write as ImportedTreatment), recordedBy, now);
    created.forEach((x, i) => { x.targetId = ids[i]; });
    const newLinks = c.outcomes.filter((x) => x.outcome !== 'unchanged');
    if (newLinks.length) {
      await m.query(
        `INSERT INTO import_links (source_system, kind, source_id, target_id, job_id, created_at) VALUES ${newLinks.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        newLinks.flatMap((x) => [o.sourceSystem, o.kind, x.row.sourceId, x.targetId, o.jobId, now]),
      );
    }
    if (newLinks.length) {
      await this.deps.audit.record(o.actor, `import.${o.kind}`, {
        details: {
          job: o.jobId, sourceSystem: o.sourceSystem, created: created.length, matched: newLinks.length - created.length,
          ...(o.kind === 'clients' ? { clientIds: newLinks.map((x) => x.targetId) } : { ids: newLinks.map((x) => x.targetId) }),
        },
      }, m);
    }
  }
}

/** Raised inside a batch's transaction to roll it back when a row of it has a problem. */
class BatchRefused extends Error {
  constructor(readonly problems: RowProblem[]) {
    super('batch refused');
  }
}

/** What a pass remembers between batches: lines of source ids and phones seen, reference tables, session counters. */
class PassState {
  readonly sourceLines = new Map<string, number>();
  readonly paidMonths = new Set<string>();
  readonly phoneLines = new Map<string, number>();
  private projectMap: Map<string, ProjectRef> | null = null;
  private readonly staff = new Map<string, Map<string, number>>();
  private readonly sessions = new Map<string, number>();

  async projects(m: EntityManager, orders: OrderImports): Promise<Map<string, ProjectRef>> {
    if (!this.projectMap) {
      this.projectMap = new Map();
      for (const p of await orders.projects(m)) {
        this.projectMap.set(p.code, p);
        if (!this.projectMap.has(p.name)) this.projectMap.set(p.name, p);
      }
    }
    return this.projectMap;
  }

  /** Active staff of a role by display name and by public id. */
  async staffByName(m: EntityManager, role: 'doctor' | 'consultant'): Promise<Map<string, number>> {
    let map = this.staff.get(role);
    if (!map) {
      map = new Map();
      const rows: { id: number; publicId: string; name: string }[] = await m.query(
        'SELECT id, public_id AS publicId, display_name AS name FROM staff WHERE role = ? AND active = 1 ORDER BY id', [role],
      );
      for (const r of rows) {
        map.set(r.publicId, Number(r.id));
        if (!map.has(r.name)) map.set(r.name, Number(r.id));
      }
      this.staff.set(role, map);
    }
    return map;
  }

  /** The next session number of an order's project: those recorded, plus those this pass has numbered. */
  async nextSession(m: EntityManager, orderId: number, projectId: number): Promise<number> {
    const key = `${orderId}:${projectId}`;
    let n = this.sessions.get(key);
    if (n === undefined) {
      const [{ c }]: { c: number }[] = await m.query("SELECT COUNT(*) AS c FROM treatments WHERE order_id = ? AND project_id = ? AND status = 'done'", [orderId, projectId]);
      n = Number(c);
    }
    this.sessions.set(key, n + 1);
    return n + 1;
  }

  /** A batch rolled back: its phones and source ids may come again (fixed) in a later import. */
  forgetWritten(batch: Prepared[]): void {
    for (const b of batch) {
      const phone = b.values.phone as string | undefined;
      if (phone && this.phoneLines.get(phone) === b.line) this.phoneLines.delete(phone);
    }
    this.sessions.clear();
  }
}
