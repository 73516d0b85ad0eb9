import { InsightStory } from './story.component.ts';
import '../ask/ask.ts';
import '../card/card.ts';
import '../filter-bar/filter-bar.ts';

export { InsightStory };

if (!customElements.get('insight-story')) customElements.define('insight-story', InsightStory);

declare global {
  interface HTMLElementTagNameMap {
    'insight-story': InsightStory;
  }
}
