/**
 * 术后对比照: the effect-tracking steps (1/3/6 months after a procedure) that ask for a photo, the
 * photos uploaded, and the upload itself — the image's bytes as the body, only the client, doctors
 * and the director ever see them (GET/POST /api/mp/photos, GET/DELETE /api/mp/photos/:id).
 */
import { request } from '../utils/request';
import type { ApiOk, ItemOf } from './api';

export type PhotoSteps = ApiOk<'/api/mp/photos'>;
/** Uploads open once the step is due (`open`). */
export type PhotoStep = ItemOf<PhotoSteps>;
export type Photo = ApiOk<'/api/mp/photos', 'post'>;

export const STEP_LABELS: Record<string, string> = { effect_1m: '术后1个月', effect_3m: '术后3个月', effect_6m: '术后6个月' };

export function getPhotoSteps(): Promise<PhotoSteps> {
  return request<PhotoSteps>({ path: '/api/mp/photos' });
}

export function uploadPhoto(treatment: string, step: string, bytes: ArrayBuffer, contentType: string): Promise<Photo> {
  return request<Photo>({ method: 'POST', path: '/api/mp/photos', query: { treatment, step }, data: bytes, contentType });
}

export function photoBytes(id: string): Promise<ArrayBuffer> {
  return request<ArrayBuffer>({ path: `/api/mp/photos/${id}`, responseType: 'arraybuffer' });
}

export function deletePhoto(id: string): Promise<void> {
  return request<void>({ method: 'DELETE', path: `/api/mp/photos/${id}` });
}

/** The image type by the file's extension (wx.chooseMedia gives a temp path); the server checks the bytes. */
export function contentTypeOf(path: string): string {
  const ext = path.split('.').pop()?.toLowerCase();
  return ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : 'image/jpeg';
}
