import { MigrationInterface, QueryRunner } from 'typeorm';

const DAY = 24 * 60;
// Default follow-up plans (DOMAIN.md, post-op care and repurchase reminders; issue 5): staff edit them later.
const STEPS: [plan: string, step: string, offset: number | null, action: string, role: string | null, text: string][] = [
  ['surgery', 'checkin_48h', 2 * DAY, 'message', null, '{client}您好，我是您的专属顾问{consultant}。{project}术后48小时是恢复的关键期，请注意冷敷、清淡饮食、避免剧烈运动。有任何不适请随时告诉我们。'],
  ['surgery', 'callback_48h', 2 * DAY, 'task', 'customer_service', '术后48小时电话回访：{project}（主诊{doctor}），了解肿胀、疼痛与用药情况'],
  ['surgery', 'survey_7d', 7 * DAY, 'survey', null, '{client}您好，{project}术后已满一周，想听听您对这次就诊的感受，占用您两分钟填写满意度问卷。'],
  ['surgery', 'followup_30d', 30 * DAY, 'message', null, '{client}您好，{project}术后一个月了，恢复得怎么样？如需复诊请在小程序预约，{doctor}会为您检查。'],
  ['surgery', 'followup_90d', 90 * DAY, 'message', null, '{client}您好，{project}术后三个月，大部分肿胀已消退。欢迎回院复查，{consultant}随时为您安排。'],
  ['surgery', 'effect_1m', 32 * DAY, 'photo_request', null, '{client}您好，为记录{project}的恢复效果，方便的话请在小程序上传一张近照，仅您的医生可见。'],
  ['surgery', 'effect_3m', 92 * DAY, 'photo_request', null, '{client}您好，{project}术后三个月的效果记录：请在小程序上传一张近照，仅您的医生可见。'],
  ['surgery', 'effect_6m', 182 * DAY, 'photo_request', null, '{client}您好，{project}术后半年的效果记录：请在小程序上传一张近照，仅您的医生可见。'],
  ['light', 'survey_7d', 7 * DAY, 'survey', null, '{client}您好，{project}已满一周，想听听您的感受，占用您两分钟填写满意度问卷。'],
  ['light', 'followup_30d', 30 * DAY, 'message', null, '{client}您好，{project}一个月了，效果还满意吗？有任何问题都可以问{consultant}。'],
  ['light', 'repurchase', null, 'repurchase', null, '{client}您好，您的{project}效果预计一个月后逐渐减弱，{doctor}建议提前预约补打，保持效果。'],
  ['skin', 'survey_7d', 7 * DAY, 'survey', null, '{client}您好，{project}已满一周，想听听您的感受，占用您两分钟填写满意度问卷。'],
  ['skin', 'repurchase', null, 'repurchase', null, '{client}您好，距离您上次{project}快到建议的护理周期了，{consultant}可以为您预约下一次护理。'],
];

/** Follow-up plans by project and the steps scheduled from orders (issue 5, item 5). */
export class Care1795400700000 implements MigrationInterface {
  name = 'Care1795400700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`followup_templates\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`plan\` varchar(24) NOT NULL, \`step\` varchar(32) NOT NULL, \`offset_minutes\` int UNSIGNED NULL, \`action\` enum ('message', 'task', 'survey', 'photo_request', 'repurchase') NOT NULL, \`assignee_role\` varchar(16) NULL, \`text\` varchar(500) NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`updated_by\` int UNSIGNED NULL, \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_followup_templates_step\` (\`plan\`, \`step\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`followup_steps\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`order_id\` int UNSIGNED NOT NULL, \`project_id\` int UNSIGNED NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`template_id\` int UNSIGNED NOT NULL, \`step\` varchar(32) NOT NULL, \`due_at\` datetime(3) NOT NULL, \`status\` enum ('scheduled', 'enqueued', 'cancelled') NOT NULL DEFAULT 'scheduled', \`enqueued_at\` datetime(3) NULL, UNIQUE INDEX \`uq_followup_steps\` (\`order_id\`, \`project_id\`, \`step\`), INDEX \`ix_followup_steps_due\` (\`status\`, \`due_at\`), INDEX \`ix_followup_steps_client\` (\`client_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(
      `INSERT INTO \`followup_templates\` (\`plan\`, \`step\`, \`offset_minutes\`, \`action\`, \`assignee_role\`, \`text\`) VALUES ${STEPS.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
      STEPS.flat(),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `followup_steps`');
    await queryRunner.query('DROP TABLE `followup_templates`');
  }
}
