import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { notFound, validationError } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Actor, AuditService } from '../audit';
import type { BenefitKind } from './rewards.entity';
import { benefitProblem, benefitText } from './rewards.benefits';
import { ruleOf } from './rewards.issue';

/** A rule's benefit as the director sees and edits it (table voucher_rules). Money in fen. */
export interface VoucherRuleView {
  /** The rule's code ('care_3m', 'birthday' …): fixed, the rules that issue vouchers name it. */
  code: string;
  kind: BenefitKind;
  title: string;
  valueFen: number | null;
  percent: number | null;
  capFen: number | null;
  service: string | null;
  /** Project codes its vouchers may be used on; null: any project. */
  projects: string[] | null;
  validDays: number;
  active: boolean;
  /** What it gives, as the client reads it. */
  text: string;
  updatedAt: Date;
}

/** A change to a rule: any of its fields; the rest stay. Fields the new kind does not use are cleared. */
export type VoucherRulePatch = Partial<Omit<VoucherRuleView, 'code' | 'text' | 'updatedAt'>>;

type RuleRow = Record<string, unknown> & { updated_at: Date };

// The fields each kind uses; the others are cleared when a rule changes kind.
const KIND_FIELDS: Record<BenefitKind, (keyof VoucherRulePatch)[]> = {
  amount_off: ['valueFen'],
  percent_off: ['percent', 'capFen'],
  free_service: ['service'],
  gift: ['service'],
};
const BENEFIT_FIELDS = ['valueFen', 'percent', 'capFen', 'service'] as const;

/**
 * The director's view and edit of what each rule gives. A voucher copies its rule's benefit when it
 * is issued, so a change applies to vouchers issued afterwards and never to those already issued.
 */
export class VoucherRules {
  constructor(private readonly deps: { db: DataSource; clock: Clock; audit: AuditService }) {}

  async list(): Promise<VoucherRuleView[]> {
    const rows: RuleRow[] = await this.deps.db.query('SELECT * FROM voucher_rules ORDER BY rule');
    return rows.map(ruleView);
  }

  /**
   * Changes a rule under its row lock, checking the result fits its kind (the field at fault, 400)
   * and that its projects are in the catalog; the audit row (before and after) commits with it.
   */
  async update(actor: Actor, code: string, patch: VoucherRulePatch): Promise<VoucherRuleView> {
    return runInTransaction(this.deps.db, async (m) => {
      const [row]: RuleRow[] = await m.query('SELECT * FROM voucher_rules WHERE rule = ? FOR UPDATE', [code]);
      if (!row) throw notFound('Voucher rule');
      const before = ruleView(row);
      const next = { ...before, ...patch };
      for (const f of BENEFIT_FIELDS) if (!KIND_FIELDS[next.kind].includes(f)) next[f] = null;
      const problem = benefitProblem(next);
      if (problem) throw validationError([{ field: `body.${problem.field}`, message: problem.message }]);
      if (next.projects) await this.checkProjects(m, next.projects);
      await m.query(
        `UPDATE voucher_rules SET kind = ?, title = ?, value_fen = ?, percent = ?, cap_fen = ?, service = ?, projects = ?, valid_days = ?, active = ?, updated_at = ?
          WHERE rule = ?`,
        [next.kind, next.title, next.valueFen, next.percent, next.capFen, next.service, next.projects ? JSON.stringify(next.projects) : null,
          next.validDays, next.active ? 1 : 0, this.deps.clock.now(), code],
      );
      const [fresh]: RuleRow[] = await m.query('SELECT * FROM voucher_rules WHERE rule = ?', [code]);
      const after = ruleView(fresh);
      await this.deps.audit.record(actor, 'voucher_rule.update', { details: { rule: code, changes: Object.keys(patch), before: auditable(before), after: auditable(after) } }, m);
      return after;
    });
  }

  /** Every project code must be in the catalog (read only: the catalog belongs to the orders module). */
  private async checkProjects(m: EntityManager, codes: string[]): Promise<void> {
    const rows: { code: string }[] = await m.query(`SELECT code FROM projects WHERE code IN (${codes.map(() => '?').join(',')})`, codes);
    const known = new Set(rows.map((r) => r.code));
    const unknown = codes.filter((c) => !known.has(c));
    if (unknown.length) {
      throw validationError([{ field: 'body.projects', message: `not in the project catalog: ${unknown.join(', ')}` }], 'These projects are not in the catalog');
    }
  }
}

function ruleView(r: RuleRow): VoucherRuleView {
  const { rule, benefit, validDays, active } = ruleOf(r);
  const b = benefit as Required<typeof benefit>;
  return {
    code: rule, kind: b.kind, title: b.title, valueFen: b.valueFen, percent: b.percent, capFen: b.capFen, service: b.service, projects: b.projects,
    validDays, active, text: benefitText(b), updatedAt: r.updated_at,
  };
}

function auditable(v: VoucherRuleView): Record<string, unknown> {
  const { text: _text, updatedAt: _at, code: _code, ...fields } = v;
  return fields;
}
