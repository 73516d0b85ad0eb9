// A Vue app rendering a story (built and loaded in Chromium by demo/demo.e2e.test.ts).
import { createApp, h } from 'vue';
import { InsightStory } from './insight-story.ts';

const server = document.documentElement.dataset['insightServer'] as string;
const getToken = () =>
  fetch('/api/token?tenant=2')
    .then((r) => r.json())
    .then((b: { token: string }) => b.token);

createApp({ render: () => h(InsightStory, { server, story: 'retail-overview', getToken }) }).mount('#app');
