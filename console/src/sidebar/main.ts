import { createApp, h } from 'vue';
import { ElConfigProvider } from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import Sidebar from './SidebarApp.vue';
import { useElement } from '../element';
import '../styles.css';

const app = createApp({ render: () => h(ElConfigProvider, { locale: zhCn }, () => h(Sidebar)) });
useElement(app);
app.mount('#app');
