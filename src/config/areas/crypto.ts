import Joi from 'joi';
import { area, requiredInProduction, setting } from '../setting';

// Read raw here; index.ts parses the key lists (their defaults depend on NODE_ENV and LOCAL_DIR).
export const crypto = area('Encryption of personal and health data (required in production)', {
  dataKeys: setting('DATA_KEYS', requiredInProduction(Joi.string().pattern(/^\d+:[A-Za-z0-9+/=_-]+(,\d+:[A-Za-z0-9+/=_-]+)*$/)), {
    example: '1:base64key',
    doc: [
      'AES-256-GCM data keys as version:base64(32 bytes), comma separated. The highest version',
      'encrypts; every listed version still decrypts. Rotate: add a new version, restart, then run',
      '`npm run keys:reencrypt`. Make one: `openssl rand -base64 32`.',
      'Development default: random keys made once per installation into LOCAL_DIR/dev-keys.json (0600);',
      'tests use fixed published keys, which production refuses. Required in production.',
    ].join('\n'),
  }),
  // One base64 key (version 1), or versions like DATA_KEYS ("1:<key>,2:<key>") during a blind-index key rotation.
  blindIndexKey: setting('BLIND_INDEX_KEY', requiredInProduction(Joi.string().min(32)), {
    example: 'base64key',
    doc: [
      'HMAC key (base64, ≥32 bytes) for blind indexes (phone/name/openid lookups); separate from DATA_KEYS.',
      'To rotate it, list versions like DATA_KEYS ("1:oldkey,2:newkey": the highest indexes, every one is',
      'looked up), run `npm run keys:reencrypt` (it re-indexes too), then drop the old version once its',
      'report shows no row kept under it that still matters (deleted accounts\' hashes cannot be re-indexed).',
    ].join('\n'),
  }),
});
