// A React app rendering a story (built and loaded in Chromium by demo/demo.e2e.test.ts).
import { createRoot } from 'react-dom/client';
import { InsightStory } from './insight-story.tsx';

const server = document.documentElement.dataset['insightServer'] as string;
const getToken = () =>
  fetch('/api/token?tenant=1')
    .then((r) => r.json())
    .then((b: { token: string }) => b.token);

createRoot(document.getElementById('app')!).render(<InsightStory server={server} story="retail-overview" getToken={getToken} filters={{ region: null }} />);
