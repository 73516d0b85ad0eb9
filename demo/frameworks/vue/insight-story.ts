/**
 * Vue 3: a component around the SDK's embedStory (a render function, so it
 * needs no SFC compiler; the same setup works in a `.vue` file).
 */
import { defineComponent, h, onBeforeUnmount, onMounted, ref, watch, type PropType } from 'vue';
import { createInsight, type EmbedHandle, type FilterValues, type Insight } from '@insight-engine/sdk';

export const InsightStory = defineComponent({
  name: 'InsightStory',
  props: {
    server: { type: String, required: true },
    story: { type: String, required: true },
    /** Fetches an embed token from your backend. */
    getToken: { type: Function as PropType<() => Promise<string>>, required: true },
    filters: { type: Object as PropType<FilterValues>, default: undefined },
    page: { type: String, default: undefined },
    theme: { type: String as PropType<'light' | 'dark'>, default: undefined },
  },
  setup(props) {
    const container = ref<HTMLDivElement>();
    let insight: Insight | undefined;
    let handle: EmbedHandle | undefined;
    onMounted(async () => {
      insight = createInsight({ server: props.server, tokenProvider: props.getToken });
      handle = await insight.embedStory(container.value!, {
        story: props.story,
        ...(props.filters ? { filters: props.filters } : {}),
        ...(props.page ? { page: props.page } : {}),
        ...(props.theme ? { theme: props.theme } : {}),
      });
    });
    watch(
      () => props.filters,
      (filters) => filters && handle?.setFilters(filters),
      { deep: true },
    );
    watch(
      () => props.theme,
      (theme) => theme && handle?.element.setAttribute('theme', theme),
    );
    onBeforeUnmount(() => insight?.destroy());
    return () => h('div', { ref: container });
  },
});
