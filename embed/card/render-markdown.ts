/**
 * Markdown of text cards to safe HTML. marked and DOMPurify load on the first
 * text card (their own lazy chunk), so the embed script stays small for
 * stories without one.
 */

let loading: Promise<(markdown: string) => string> | undefined;

function load(): Promise<(markdown: string) => string> {
  loading ??= Promise.all([import('marked'), import('dompurify')]).then(
    ([{ Marked }, { default: DOMPurify }]) => {
      // An instance of its own: a host page's global marked options never change how cards render.
      const marked = new Marked({ gfm: true, breaks: false, async: false });
      const purify = DOMPurify(window);
      purify.addHook('afterSanitizeAttributes', (node) => {
        // Links in a card leave the host page in a new tab, without handing it `window.opener`.
        if (node.tagName === 'A' && node.hasAttribute('href')) {
          node.setAttribute('target', '_blank');
          node.setAttribute('rel', 'noopener noreferrer');
        }
      });
      return (markdown: string) =>
        purify.sanitize(marked.parse(markdown) as string, {
          USE_PROFILES: { html: true },
          FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe'],
          FORBID_ATTR: ['style'],
        });
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * Renders markdown to sanitised HTML (scripts, event handlers, `javascript:`
 * URLs and styles removed).
 * @example
 * const html = await renderMarkdown('**Revenue** rose <img src=x onerror=alert(1)>');
 * // '<p><strong>Revenue</strong> rose <img src="x"></p>'
 */
export async function renderMarkdown(markdown: string): Promise<string> {
  return (await load())(markdown);
}
