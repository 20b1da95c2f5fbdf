import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import { publicId, randomCode } from '../../shared/crypto';
import { validationError } from '../../shared/errors';
import type { BenefitKind } from './rewards.entity';
import { benefitProblem, voucherSentence, type VoucherBenefit } from './rewards.benefits';

/** What a rule issues: the benefit and its validity. */
export interface IssueRequest {
  /** The rule that promised it ('care_3m', 'birthday', 'cashback' …): up to 24 characters. */
  rule: string;
  benefit: VoucherBenefit;
  /** Usable from (default: at once). */
  validFrom?: Date | null;
  expiresAt: Date;
}

/** Who receives it, for which period of the rule (the anchor order, the year, the month …): up to 32 characters. */
export interface IssueTarget {
  clientId: number;
  period: string;
}

/** A voucher a rule issued (or had already issued for that client and period), with what its message says. */
export interface IssuedVoucher extends Required<VoucherBenefit> {
  id: string;
  clientId: number;
  rule: string;
  period: string;
  code: string;
  validFrom: Date | null;
  expiresAt: Date;
  /** False when the client already had this rule's voucher for the period (a rerun, a second scheduler). */
  created: boolean;
  /** 「title」value, valid until (Shanghai date): for the message that announces it. */
  sentence: string;
}

/** A rule's configured benefit (table voucher_rules). */
export interface RuleBenefit {
  rule: string;
  benefit: VoucherBenefit;
  validDays: number;
  active: boolean;
}

interface IssuedRow {
  public_id: string;
  client_id: number;
  rule: string;
  period: string;
  code: string;
  kind: BenefitKind;
  title: string;
  value_fen: number | null;
  percent: number | null;
  cap_fen: number | null;
  service: string | null;
  projects: string[] | string | null;
  valid_from: Date | null;
  expires_at: Date;
}

// Rows per INSERT (about 17 placeholders each: far under MySQL's 65,535).
const INSERT_CHUNK = 1000;
const DAY_MS = 86400_000;

/** The start of the Shanghai day `days` after the day of `now`: a voucher valid for N days lasts through the Nth day's end. */
export function validUntil(now: Date, days: number): Date {
  const shanghaiMidnight = Math.floor((now.getTime() + 8 * 3600_000) / DAY_MS) * DAY_MS - 8 * 3600_000;
  return new Date(shanghaiMidnight + (days + 1) * DAY_MS);
}

/**
 * The voucher engine the rules call. Set-based: a batch of clients is one pre-read, one multi-row
 * INSERT per thousand and one read-back, never a query per client. The unique key (client, rule,
 * period) makes a rerun or a second scheduler a no-op (ON DUPLICATE KEY UPDATE keeps the first row).
 */
export class VoucherIssuer {
  constructor(private readonly deps: { db: DataSource; clock: Clock }) {}

  /** A rule's benefit as configured; null for an unknown rule. */
  async ruleBenefit(m: EntityManager | null, rule: string): Promise<RuleBenefit | null> {
    const [r] = await (m ?? this.deps.db.manager).query('SELECT * FROM voucher_rules WHERE rule = ?', [rule]);
    return r ? ruleOf(r) : null;
  }

  /**
   * Issues a rule's configured voucher to each target (once per client and period); [] when the rule
   * is switched off. `projects` narrows the usable projects (e.g. the repurchase offer: the treated project).
   */
  async issueByRule(m: EntityManager | null, rule: string, targets: IssueTarget[], opts: { projects?: string[] } = {}): Promise<IssuedVoucher[]> {
    const found = await this.ruleBenefit(m, rule);
    if (!found || !found.active || !targets.length) return [];
    const now = this.deps.clock.now();
    const benefit = opts.projects ? { ...found.benefit, projects: opts.projects } : found.benefit;
    return this.issueMany(m, { rule, benefit, expiresAt: validUntil(now, found.validDays) }, targets);
  }

  /**
   * Issues the voucher to every target that does not hold it yet for its period, in the caller's
   * transaction when given one; returns every target's voucher (new or already there), in target order.
   */
  async issueMany(m: EntityManager | null, req: IssueRequest, targets: IssueTarget[]): Promise<IssuedVoucher[]> {
    checkRequest(req, targets);
    if (!targets.length) return [];
    return runInTransaction(this.deps.db, async (tx) => {
      const out: IssuedVoucher[] = [];
      for (let i = 0; i < targets.length; i += INSERT_CHUNK) out.push(...(await this.issueChunk(tx, req, targets.slice(i, i + INSERT_CHUNK))));
      return out;
    }, { manager: m });
  }

  /** One client's voucher of a rule and period (see issueMany). */
  async issueOne(m: EntityManager | null, req: IssueRequest, target: IssueTarget): Promise<IssuedVoucher> {
    const [v] = await this.issueMany(m, req, [target]);
    return v;
  }

  /**
   * The expiry task: issued vouchers past their date become 'expired' with the time it was
   * recorded, in batches; returns how many.
   */
  async expireDue(now: Date = this.deps.clock.now(), batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.deps.db.query(
        `UPDATE vouchers SET status = 'expired', expired_at = ? WHERE status = 'issued' AND expires_at <= ? LIMIT ${Number(batch)}`,
        [now, now],
      );
      total += Number(res.affectedRows);
      if (Number(res.affectedRows) < batch) return total;
    }
  }

  private async issueChunk(m: EntityManager, req: IssueRequest, targets: IssueTarget[]): Promise<IssuedVoucher[]> {
    const key = (clientId: number, period: string) => `${clientId}|${period}`;
    let held = new Map<string, IssuedRow>();
    const mine = new Set<string>();
    // Written first, read back once: a target that already held the voucher keeps it (the duplicate
    // key), and the row read back is not one of ours. A new code colliding with an existing one
    // (about once in 10^9 issues) leaves its row unwritten too; it is tried again with another code.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const missing = targets.filter((t) => !held.has(key(t.clientId, t.period)));
      if (!missing.length) break;
      const now = this.deps.clock.now();
      const b = req.benefit;
      const rows = missing.map((t) => {
        const id = publicId();
        mine.add(id);
        return [id, t.clientId, randomCode(10), `rule:${req.rule}:${t.period}`, req.expiresAt, now, req.rule, t.period, b.kind, b.title,
          b.valueFen ?? null, b.percent ?? null, b.capFen ?? null, b.service ?? null, b.projects ? JSON.stringify(b.projects) : null, req.validFrom ?? null];
      });
      await m.query(
        `INSERT INTO vouchers (public_id, client_id, code, idempotency_key, expires_at, created_at, rule, period, kind, title,
                               value_fen, percent, cap_fen, service, projects, valid_from, item_id, points, status, source)
         VALUES ${rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 'issued', 'rule')").join(', ')}
         ON DUPLICATE KEY UPDATE id = id`,
        rows.flat(),
      );
      held = await this.held(m, req.rule, targets);
    }
    return targets.map((t) => {
      const r = held.get(key(t.clientId, t.period));
      if (!r) throw new Error(`voucher for rule ${req.rule} could not be issued`);
      return issuedView(r, mine.has(r.public_id));
    });
  }

  /** The vouchers the targets already hold for this rule, by client and period. */
  private async held(m: EntityManager, rule: string, targets: IssueTarget[]): Promise<Map<string, IssuedRow>> {
    const ids = [...new Set(targets.map((t) => t.clientId))];
    const rows: IssuedRow[] = await m.query(
      `SELECT public_id, client_id, rule, period, code, kind, title, value_fen, percent, cap_fen, service, projects, valid_from, expires_at
         FROM vouchers WHERE rule = ? AND client_id IN (${ids.map(() => '?').join(',')})`,
      [rule, ...ids],
    );
    return new Map(rows.map((r) => [`${Number(r.client_id)}|${r.period}`, r]));
  }
}

function checkRequest(req: IssueRequest, targets: IssueTarget[]): void {
  const problem = benefitProblem(req.benefit);
  if (problem) throw validationError([problem]);
  if (!/^[a-z0-9_]{1,24}$/.test(req.rule)) throw validationError([{ field: 'rule', message: 'a rule is 1–24 characters a–z, 0–9, _' }]);
  const bad = targets.find((t) => !t.period || t.period.length > 32 || !Number.isInteger(t.clientId));
  if (bad) throw validationError([{ field: 'period', message: 'a period is 1–32 characters, for a client id' }]);
}

/** A voucher_rules row as the rule's benefit. */
export function ruleOf(r: Record<string, unknown>): RuleBenefit {
  return {
    rule: String(r.rule),
    benefit: {
      kind: r.kind as BenefitKind, title: String(r.title), valueFen: nullableNumber(r.value_fen), percent: nullableNumber(r.percent), capFen: nullableNumber(r.cap_fen),
      service: (r.service as string | null) ?? null, projects: parseProjects(r.projects),
    },
    validDays: Number(r.valid_days),
    active: Boolean(Number(r.active)),
  };
}

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** The json column comes back parsed or as text depending on the driver's typecast. */
export function parseProjects(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? JSON.parse(v) : (v as string[]);
}

function issuedView(r: IssuedRow, created: boolean): IssuedVoucher {
  const benefit: Required<VoucherBenefit> = {
    kind: r.kind, title: r.title, valueFen: nullableNumber(r.value_fen), percent: nullableNumber(r.percent), capFen: nullableNumber(r.cap_fen),
    service: r.service, projects: parseProjects(r.projects),
  };
  return {
    ...benefit, id: r.public_id, clientId: Number(r.client_id), rule: r.rule, period: r.period, code: r.code, validFrom: r.valid_from, expiresAt: r.expires_at,
    created, sentence: voucherSentence({ ...benefit, expiresAt: r.expires_at }),
  };
}
