// STUB: replaced by the mini-program login work.
export class MpAuthService {
  constructor(readonly deps: Record<string, unknown>) {}
}
