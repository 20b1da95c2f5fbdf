export { StaffService } from './staff.service';
export { registerStaffRoutes } from './staff.routes';
export * from './staff.entity';
