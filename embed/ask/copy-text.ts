/**
 * Puts `text` on the clipboard. The async Clipboard API is refused in places
 * where components often live (iframes without `allow="clipboard-write"`,
 * plain-http origins, browsers that would prompt), so a refusal falls back to
 * copying a selected off-screen textarea inside `container` during the same
 * click. Rejects when neither works; focus returns where it was.
 * @example await copyText(sql, this.renderRoot);
 */
export async function copyText(text: string, container: ShadowRoot | HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch (error) {
    if (!copyBySelection(text, container)) throw error;
  }
}

function copyBySelection(text: string, container: ShadowRoot | HTMLElement): boolean {
  const root = container.getRootNode() as Document | ShadowRoot;
  const focused = (container instanceof ShadowRoot ? container.activeElement : root.activeElement) as HTMLElement | null;
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.setAttribute('aria-hidden', 'true');
  area.tabIndex = -1;
  area.style.cssText = 'position: fixed; inset-block-start: 0; inset-inline-start: 0; width: 1px; height: 1px; opacity: 0; pointer-events: none;';
  container.append(area);
  try {
    area.focus({ preventScroll: true });
    area.select();
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
    focused?.focus({ preventScroll: true });
  }
}
