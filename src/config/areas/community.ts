import Joi from 'joi';
import { area, int, setting, staffRoleList, StaffRoleName, uniqueList } from '../setting';

export const community = area('Community posts 社群 (美丽学院)', {
  bannedWordingFile: setting('COMMUNITY_BANNED_WORDING_FILE', Joi.string().allow(''), {
    default: '',
    doc: 'JSON file with the banned advertising wording by category, replacing the built-in list:\n{"categories": {"guaranteed_effect": ["保证", …], …}, "allowed": ["最近", …]} ("allowed": phrases\nthat contain a banned word but are fine). Empty: the built-in list (src/modules/community/community.wording.ts)',
    map: (v) => v || null,
  }),
  approverRoles: setting('COMMUNITY_APPROVER_ROLES', staffRoleList(), {
    default: 'director',
    doc: 'Staff roles that may approve a post, comma separated (an author never approves their own post)',
    map: (v) => uniqueList<StaffRoleName>(v),
  }),
  graceHours: int('COMMUNITY_POST_GRACE_HOURS', {
    min: 1, max: 72, default: 6, doc: 'A post occurrence not sent within this many hours of its time (e.g. the scheduler was down) is skipped, not sent late',
  }),
  imageHosts: setting('COMMUNITY_IMAGE_HOSTS', Joi.string().pattern(/^[a-z0-9.-]+(,[a-z0-9.-]+)*$/i, 'comma list of host names').allow(''), {
    default: '',
    doc: 'Hosts a community post\'s image may come from (comma list, HTTPS, exact host names: the hospital\'s\nown storage or CDN). The bot fetches images from these hosts only. Empty: posts carry no image.',
    map: (v) => (v ? uniqueList(v.toLowerCase()) : []),
  }),
});
