import { MigrationInterface, QueryRunner } from 'typeorm';

// The effect-tracking steps asked clients to upload a photo in the mini-program, which has no such
// page: the photo goes to the dedicated consultant in the WeCom chat instead. Only texts staff have
// not edited are changed.
const TEXTS: [step: string, before: string, after: string][] = [
  ['effect_1m', '{client}您好，为记录{project}的恢复效果，方便的话请在小程序上传一张近照，仅您的医生可见。',
    '{client}您好，为记录{project}的恢复效果，方便的话请在这里发一张近照给我，我们会转给{doctor}存入您的病历。'],
  ['effect_3m', '{client}您好，{project}术后三个月的效果记录：请在小程序上传一张近照，仅您的医生可见。',
    '{client}您好，{project}术后三个月的效果记录：方便的话请在这里发一张近照给我，我们会转给{doctor}存入您的病历。'],
  ['effect_6m', '{client}您好，{project}术后半年的效果记录：请在小程序上传一张近照，仅您的医生可见。',
    '{client}您好，{project}术后半年的效果记录：方便的话请在这里发一张近照给我，我们会转给{doctor}存入您的病历。'],
];

export class PhotoRequestTexts1795401100000 implements MigrationInterface {
  name = 'PhotoRequestTexts1795401100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [step, before, after] of TEXTS) {
      await queryRunner.query("UPDATE `followup_templates` SET `text` = ? WHERE `plan` = 'surgery' AND `step` = ? AND `text` = ?", [after, step, before]);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [step, before, after] of TEXTS) {
      await queryRunner.query("UPDATE `followup_templates` SET `text` = ? WHERE `plan` = 'surgery' AND `step` = ? AND `text` = ?", [before, step, after]);
    }
  }
}
