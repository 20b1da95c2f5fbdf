import type { Context } from 'koa';
import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { PhotosService } from './photos.service';
import { tooLarge } from './photos.service';
import { IMAGE_TYPES, idParams, photoView, stepsResponse, uploadQuery } from './photos.schema';

const MP = ['mini-program: progress photos'];
const STAFF = ['staff: progress photos'];
// Progress photos are health data (DOMAIN.md, three tiers): doctors and the director.
const CLINICAL = ['director', 'doctor'] as const;

/**
 * HTTP ↔ PhotosService. The upload's body is the image itself (wx.request with an ArrayBuffer), read
 * here up to the size limit: a larger body is refused as soon as it passes the limit.
 */
export function registerPhotoRoutes(api: ApiRouter, s: { photos: PhotosService }): void {
  const me = (ctx: Context) => principalOf(ctx, 'client').clientId;
  const sendImage = (ctx: Context, image: { bytes: Buffer; contentType: string }) => {
    ctx.type = image.contentType;
    ctx.set('Cache-Control', 'private, no-store');
    return image.bytes;
  };
  api
    .add(
      {
        method: 'get', path: '/api/mp/photos', summary: 'Own effect-tracking steps that ask for a progress photo, with the photos uploaded',
        tags: MP, auth: 'client', response: stepsResponse,
      },
      async ({ ctx }) => ({ maxBytes: s.photos.maxBytes, items: await s.photos.ownSteps(me(ctx)) }),
    )
    .add(
      {
        method: 'post', path: '/api/mp/photos', summary: 'Upload a progress photo (the body is the JPEG, PNG or WebP itself); metadata such as EXIF location is stripped',
        tags: MP, auth: 'client', query: uploadQuery, status: 201, response: photoView,
        errors: ['NOT_FOUND', 'PHOTO_NOT_AN_IMAGE', 'PHOTO_TOO_LARGE', 'PHOTO_STEP_NOT_DUE', 'PHOTO_STEP_FULL', 'HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED'],
      },
      async ({ ctx, query }) => s.photos.upload(actorFromContext(ctx), me(ctx), query, await readBody(ctx, s.photos.maxBytes)),
    )
    .add(
      { method: 'get', path: '/api/mp/photos/:id', summary: 'One own progress photo', tags: MP, auth: 'client', params: idParams, files: IMAGE_TYPES, errors: ['NOT_FOUND'] },
      async ({ ctx, params }) => sendImage(ctx, await s.photos.ownImage(me(ctx), params.id)),
    )
    .add(
      { method: 'delete', path: '/api/mp/photos/:id', summary: 'Delete one own progress photo', tags: MP, auth: 'client', params: idParams, status: 204, errors: ['NOT_FOUND'] },
      async ({ ctx, params }) => { await s.photos.deleteOwn(actorFromContext(ctx), me(ctx), params.id); },
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/photos', summary: 'A client\'s effect-tracking steps with their progress photos, for comparison by date (director, doctor; audited)',
        tags: STAFF, auth: 'staff', roles: [...CLINICAL], params: idParams, response: stepsResponse, errors: ['NOT_FOUND'],
      },
      async ({ ctx, params }) => ({ maxBytes: s.photos.maxBytes, items: await s.photos.stepsForStaff(actorFromContext(ctx), params.id) }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/photos/:id', summary: 'One progress photo (director, doctor; audited)',
        tags: STAFF, auth: 'staff', roles: [...CLINICAL], params: idParams, files: IMAGE_TYPES, errors: ['NOT_FOUND'],
      },
      async ({ ctx, params }) => sendImage(ctx, await s.photos.imageForStaff(actorFromContext(ctx), params.id)),
    );
}

/** The raw request body, refused (413) once it passes `limit` bytes, declared or sent. */
async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  if (Number(ctx.request.length ?? 0) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.set('Connection', 'close');
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
