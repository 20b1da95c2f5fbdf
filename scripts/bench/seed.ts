import type { Deps, Services } from '../../src/services';
import { SYSTEM_ACTOR } from '../../src/modules/audit';

/** A client with every profile field filled (so the profile read decrypts for real) and a live session. */
export async function seedProfileClient(deps: Deps, services: Services): Promise<string> {
  const client = await services.clients.createClient({
    openid: `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    name: '林晓雯', gender: 'female', birthDate: '1994-05-12', address: '上海市静安区南京西路 1266 号',
  });
  await services.clients.grantConsent(client.id, { purpose: 'privacy', policyVersion: deps.config.policy.privacyVersion }, SYSTEM_ACTOR);
  const session = await services.sessions.create({ kind: 'client', clientId: client.id, publicId: client.publicId }, 3600);
  return session.token;
}
