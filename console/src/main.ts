import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import { Calendar, ChatDotRound, DataAnalysis, Filter, Finished, Histogram, House, Lock, Medal, PieChart, Plus, Setting, Share, Star, Ticket, TrendCharts, Upload, User, Wallet } from '@element-plus/icons-vue';
import App from './App.vue';
import { useElement } from './element';
import { createConsoleRouter } from './router';
import './styles.css';

const app = createApp(App);
useElement(app);
// Only the menu's icons: the whole set would triple the first screen's script.
for (const [name, icon] of Object.entries({ Calendar, ChatDotRound, DataAnalysis, Filter, Finished, Histogram, House, Lock, Medal, PieChart, Plus, Setting, Share, Star, Ticket, TrendCharts, Upload, User, Wallet })) app.component(name, icon);
app.use(createConsoleRouter());
app.mount('#app');
