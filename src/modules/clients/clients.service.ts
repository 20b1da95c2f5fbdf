// STUB: replaced by the client archive work.
export class ClientsService {
  constructor(readonly deps: Record<string, unknown>) {}
}
