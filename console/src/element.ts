import type { App } from 'vue';
import {
  ElAlert, ElAside, ElButton, ElCard, ElCollapse, ElCollapseItem, ElContainer, ElDatePicker, ElDescriptions, ElDescriptionsItem,
  ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElLoading, ElMain, ElMenu, ElMenuItem, ElOption, ElPagination, ElRadio,
  ElRadioGroup, ElSelect, ElSwitch, ElTable, ElTableColumn, ElTag,
} from 'element-plus';

/**
 * The Element Plus parts the console uses, registered one by one: the whole library would more than
 * double the script a first screen parses (see BENCH console_bundle).
 */
export function useElement(app: App): void {
  for (const c of [
    ElAlert, ElAside, ElButton, ElCard, ElCollapse, ElCollapseItem, ElContainer, ElDatePicker, ElDescriptions, ElDescriptionsItem,
    ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput, ElMain, ElMenu, ElMenuItem, ElOption, ElPagination, ElRadio,
    ElRadioGroup, ElSelect, ElSwitch, ElTable, ElTableColumn, ElTag,
  ]) app.use(c);
  app.use(ElLoading);
}
