import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import { House, Plus, TrendCharts, User } from '@element-plus/icons-vue';
import App from './App.vue';
import { createConsoleRouter } from './router';
import './styles.css';

const app = createApp(App);
app.use(ElementPlus, { locale: zhCn });
// Only the menu's icons: the whole set would triple the first screen's script.
for (const [name, icon] of Object.entries({ House, Plus, TrendCharts, User })) app.component(name, icon);
app.use(createConsoleRouter());
app.mount('#app');
