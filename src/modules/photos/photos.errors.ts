import { defineErrors, type CodesOf } from '../../shared/errors';

/** Progress photos. */
export const PhotoErrors = defineErrors({
  // Recognised by the bytes: JPEG, PNG or WebP only.
  PHOTO_NOT_AN_IMAGE: 415,
  // CARE_PHOTO_MAX_BYTES.
  PHOTO_TOO_LARGE: 413,
  // Uploads open when the effect-tracking step is due.
  PHOTO_STEP_NOT_DUE: 409,
  PHOTO_STEP_FULL: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof PhotoErrors> {}
}
