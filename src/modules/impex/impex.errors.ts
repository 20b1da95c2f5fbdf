import { defineErrors, type CodesOf } from '../../shared/errors';

/** Imports of clients, orders and treatments from spreadsheets. */
export const ImportErrors = defineErrors({
  // Neither an xlsx workbook nor UTF-8 text (an image, an old .xls, a GBK CSV), or a damaged one.
  IMPORT_FILE_UNREADABLE: 400,
  IMPORT_FILE_EMPTY: 400,
  // Over IMPORT_MAX_BYTES.
  IMPORT_FILE_TOO_LARGE: 413,
  // The mapping leaves a required field without a column, or names one that does not exist.
  IMPORT_MAPPING_INVALID: 422,
  // A real run while another run of the same upload is going, or after it finished.
  IMPORT_ALREADY_RUN: 409,
  // The stored upload was purged (kept IMPORT_RETENTION_DAYS after the import finished or was abandoned): upload it again.
  IMPORT_FILE_EXPIRED: 410,
});

declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof ImportErrors> {}
}
