import type { EntityManager } from 'typeorm';
import { FieldCipher, publicId as newPublicId, randomCode } from '../../shared/crypto';
import { normalizeName } from '../../shared/crypto';
import { isDuplicateKey } from '../../shared/db';
import { aad } from './clients.shared';
import type { Gender } from './clients.entity';

/** A client from another system's records, its phone already in stored form (shared/phone.ts). */
export interface ImportedClient {
  name: string;
  phone: string;
  gender: Gender;
  birthDate: string | null;
  address: string | null;
  sourceChannel: string | null;
  consultantId: number | null;
  /** When the other system opened the archive; now when unknown. */
  createdAt: Date | null;
}

/**
 * Bulk writes of imported clients (the import module calls these inside its batch transaction).
 * An imported client is a plain archive row: encrypted as every client, found by the phone's blind
 * index, with no WeChat identity (openid `import:<publicId>`, which no WeChat login can match) —
 * and nothing a new sign-up earns (welcome points, referral binding, follow-ups) is started.
 */
export class ClientImports {
  constructor(private readonly cipher: FieldCipher) {}

  /** Active clients holding any of these phones (every blind-index key version): phone → client id. */
  async idsByPhone(m: EntityManager, phones: string[]): Promise<Map<string, number>> {
    const byIndex = new Map<string, string>();
    for (const p of new Set(phones)) for (const ix of this.cipher.blindIndexes('phone', p)) byIndex.set(ix, p);
    const found = new Map<string, number>();
    if (!byIndex.size) return found;
    const rows: { id: number; phoneBidx: string }[] = await m.query(
      "SELECT id, phone_bidx AS phoneBidx FROM clients WHERE phone_bidx IN (?) AND status = 'active'", [[...byIndex.keys()]],
    );
    for (const r of rows) found.set(byIndex.get(r.phoneBidx)!, Number(r.id));
    return found;
  }

  /** Inserts the clients in one statement; their ids in input order. A phone taken meanwhile fails the whole statement (the caller's batch). */
  async insertMany(m: EntityManager, clients: ImportedClient[], now: Date): Promise<number[]> {
    if (!clients.length) return [];
    for (let attempt = 0; ; attempt++) {
      const ids = clients.map(() => newPublicId());
      const values = clients.map((c, i) => {
        const pid = ids[i];
        return [
          pid, `import:${pid}`, this.cipher.encrypt(c.name, aad.client(pid, 'name')), this.cipher.blindIndex('name', normalizeName(c.name)), c.gender, c.birthDate,
          this.cipher.encrypt(c.phone, aad.client(pid, 'phone')), this.cipher.blindIndex('phone', c.phone),
          c.address ? this.cipher.encrypt(c.address, aad.client(pid, 'address')) : null, randomCode(8), c.consultantId, c.sourceChannel, c.createdAt ?? now, now,
        ];
      });
      try {
        await m.query(
          `INSERT INTO clients (public_id, openid, name_enc, name_bidx, gender, birth_date, phone_enc, phone_bidx, address_enc, referral_code, consultant_id, source_channel, created_at, updated_at)
           VALUES ${values.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          values.flat(),
        );
      } catch (err) {
        // A referral code or public id collision is rare; the statement wrote nothing, so try again with new ones.
        if (attempt < 4 && isDuplicateKey(err) && /uq_clients_(referral_code|public_id)/.test(String((err as Error).message))) continue;
        throw err;
      }
      const rows: { id: number; publicId: string }[] = await m.query('SELECT id, public_id AS publicId FROM clients WHERE public_id IN (?)', [ids]);
      const byPid = new Map(rows.map((r) => [r.publicId, Number(r.id)]));
      return ids.map((pid) => byPid.get(pid)!);
    }
  }
}
