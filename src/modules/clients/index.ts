export { ClientsService } from './clients.service';
export { registerClientRoutes } from './clients.routes';
export * from './clients.entity';
