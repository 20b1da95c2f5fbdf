export { PhotosService, PHOTOS_PER_STEP } from './photos.service';
export type { PhotosDeps, PhotoSteps, HealthConsentRule, PhotoView, PhotoStepWithPhotos } from './photos.service';
export { MariaDbPhotoStore, photoAad } from './photos.store';
export type { PhotoStore, StoredPhotoRef } from './photos.store';
export { cleanImage, sniffImage } from './photos.image';
export type { PhotoType, CleanResult } from './photos.image';
export { PhotoErrors } from './photos.errors';
export { registerPhotoRoutes } from './photos.routes';
export * from './photos.entity';
