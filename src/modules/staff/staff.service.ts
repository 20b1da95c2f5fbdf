// STUB: replaced by the staff accounts work.
export class StaffService {
  constructor(readonly deps: Record<string, unknown>) {}
}
