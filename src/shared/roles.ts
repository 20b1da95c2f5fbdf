/** 院长 director, 医师 doctor, 咨询师 consultant, 客服 customer service (DOMAIN.md, the people). */
export const STAFF_ROLES = ['director', 'doctor', 'consultant', 'customer_service'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
