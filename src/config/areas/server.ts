import Joi from 'joi';
import { area, oneOf, setting } from '../setting';

export type Role = 'api' | 'bot' | 'scheduler';

export const server = area('Process', {
  env: oneOf('NODE_ENV', ['development', 'test', 'production'], { default: 'development', doc: 'development | test | production' }),
  roles: setting('ROLES', Joi.string().pattern(/^(all|(api|bot|scheduler)(,(api|bot|scheduler))*)$/), {
    default: 'all',
    doc: 'Which roles this process runs: all, or a comma list of api,bot,scheduler',
    map: (v): Role[] => (v === 'all' ? ['api', 'bot', 'scheduler'] : [...new Set(v.split(',') as Role[])]),
  }),
  port: setting('PORT', Joi.number().port(), { default: 3000, doc: 'HTTP port of the API' }),
  // Development listens on this machine only unless told otherwise; production on every interface.
  host: setting('HOST', Joi.string(), {
    default: { development: '127.0.0.1', test: '0.0.0.0', production: '0.0.0.0' },
    example: '127.0.0.1',
    doc: 'Bind address of the API: 127.0.0.1 in development (this machine only; set 0.0.0.0 to reach it\nfrom a phone on the LAN), 0.0.0.0 in production and test',
  }),
  publicUrl: setting('PUBLIC_URL', Joi.string().uri({ scheme: ['http', 'https'] }), {
    example: 'https://crm.example-hospital.cn',
    doc: 'The URL clients and staff reach the API at (printed at start, used in the OpenAPI document); default http://localhost:$PORT',
  }),
  logLevel: setting('LOG_LEVEL', Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), {
    default: 'info', doc: 'fatal | error | warn | info | debug | trace | silent',
  }),
  localDir: setting('LOCAL_DIR', Joi.string(), {
    example: '.local',
    doc: 'Folder (outside git) for this development installation\'s own secrets: generated data keys and the\ndemo staff passwords, files readable by your user only (default: .local/ in the working directory)',
  }),
});

export const ops = area('Operations listener', {
  port: setting('OPS_PORT', Joi.number().port(), {
    default: { development: undefined, test: undefined, production: 9464 },
    example: '9464',
    doc: 'Operations listener for /metrics, /openapi.json and /docs (and /readyz with details). When set —\nand always in production, default 9464 there — those paths answer only on it (404 on PORT).\nUnset outside production: everything on PORT (development, tests, the console\'s API generator)',
    map: (v) => v ?? null,
  }),
  host: setting('OPS_HOST', Joi.string(), {
    default: '127.0.0.1', doc: 'Address of the operations listener; keep it internal (Prometheus, operators through a tunnel)',
  }),
});

export const demo = area('Demo data', {
  demoSeed: setting('DEMO_SEED', Joi.boolean(), {
    default: { development: true, test: false, production: false },
    example: 'true',
    doc: 'Load demo staff and clients once at start (default: on in development only; production refuses it)',
  }),
  demoStaffPassword: setting('DEMO_STAFF_PASSWORD', Joi.string().min(10).max(128), {
    example: '',
    doc: 'One password for every demo staff account, for scripted runs (screenshots); default: random per\ninstallation, printed at start and kept in LOCAL_DIR/demo-staff.json (0600)',
    map: (v) => v ?? null,
  }),
});
