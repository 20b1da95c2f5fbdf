import { createApp } from 'vue';
import 'element-plus/dist/index.css';
import { Calendar, DataAnalysis, Filter, Finished, Histogram, House, PieChart, Plus, Setting, Star, Ticket, TrendCharts, User } from '@element-plus/icons-vue';
import App from './App.vue';
import { useElement } from './element';
import { createConsoleRouter } from './router';
import './styles.css';

const app = createApp(App);
useElement(app);
// Only the menu's icons: the whole set would triple the first screen's script.
for (const [name, icon] of Object.entries({ Calendar, DataAnalysis, Filter, Finished, Histogram, House, PieChart, Plus, Setting, Star, Ticket, TrendCharts, User })) app.component(name, icon);
app.use(createConsoleRouter());
app.mount('#app');
