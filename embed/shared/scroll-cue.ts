import { css, type ReactiveController, type ReactiveControllerHost } from 'lit';

/** Which sides of a scroller have content out of view. */
export interface ScrollOverflow {
  start: boolean;
  end: boolean;
}

/** Which sides of `scroller` hide content (inline axis; right-to-left scrolls to negative offsets). */
export function scrollOverflow(scroller: Pick<HTMLElement, 'scrollLeft' | 'scrollWidth' | 'clientWidth'>): ScrollOverflow {
  const hidden = scroller.scrollWidth - scroller.clientWidth;
  // Sub-pixel layouts leave a fraction of a pixel at either end; that is no content.
  if (hidden <= 1) return { start: false, end: false };
  const offset = Math.abs(scroller.scrollLeft);
  return { start: offset > 1, end: offset < hidden - 1 };
}

/**
 * An edge fade on each side of a horizontal scroller that hides content there,
 * for narrow screens where a tab list or a table is wider than its host.
 *
 * The controller finds the scroller after each render, listens to its scroll
 * and to size changes of the host and the scroller, and sets `data-more` on
 * the scroller's parent (the frame, styled by {@link scrollCueStyles}) to
 * `start`, `end`, `start end` or removes it. `onChange` hears each change, e.g.
 * to make a scrollable table a focusable region.
 *
 * @example
 * readonly #cue = new ScrollCue(this, () => this.renderRoot.querySelector('.scroll'));
 * // template: <div class="scroll-frame"><div class="scroll">…</div></div>
 */
export class ScrollCue implements ReactiveController {
  #scroller: HTMLElement | null = null;
  #resize: ResizeObserver | undefined;
  #overflow: ScrollOverflow = { start: false, end: false };
  /** Whether `onChange` heard the current scroller once (it always hears the first measure). */
  #notified = false;
  readonly #onScroll = () => this.update();

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly find: () => HTMLElement | null,
    private readonly onChange?: (overflow: ScrollOverflow, scroller: HTMLElement) => void,
  ) {
    host.addController(this);
  }

  /** The sides hiding content now. */
  get overflow(): ScrollOverflow {
    return this.#overflow;
  }

  hostConnected(): void {
    this.#resize ??= typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(() => this.update());
    this.#resize?.observe(this.host);
    if (this.#scroller) this.#attach(this.#scroller);
  }

  hostDisconnected(): void {
    this.#resize?.disconnect();
    this.#scroller?.removeEventListener('scroll', this.#onScroll);
  }

  hostUpdated(): void {
    const found = this.find();
    if (found !== this.#scroller) {
      if (this.#scroller) {
        this.#scroller.removeEventListener('scroll', this.#onScroll);
        this.#resize?.unobserve(this.#scroller);
      }
      this.#scroller = found;
      if (found) this.#attach(found);
    }
    this.update();
  }

  /** Measures the scroller again (after a change the controller cannot see, such as a font loading). */
  update(): void {
    const scroller = this.#scroller;
    if (!scroller) return;
    const overflow = scrollOverflow(scroller);
    const frame = scroller.parentElement;
    const more = [overflow.start ? 'start' : '', overflow.end ? 'end' : ''].filter(Boolean).join(' ');
    if (frame && (frame.getAttribute('data-more') ?? '') !== more) {
      if (more) frame.setAttribute('data-more', more);
      else frame.removeAttribute('data-more');
    }
    const changed = overflow.start !== this.#overflow.start || overflow.end !== this.#overflow.end;
    this.#overflow = overflow;
    if (changed || !this.#notified) {
      this.#notified = true;
      this.onChange?.(overflow, scroller);
    }
  }

  #attach(scroller: HTMLElement): void {
    scroller.addEventListener('scroll', this.#onScroll, { passive: true });
    this.#resize?.observe(scroller);
    this.#notified = false;
  }
}

/**
 * The frame around a scroller: a fade on each side that hides content
 * (`data-more` set by {@link ScrollCue}). `--ie-cue-color` is the colour the
 * content fades into, the background behind the scroller.
 */
export const scrollCueStyles = css`
  .scroll-frame {
    position: relative;
    min-width: 0;
  }

  .scroll-frame::before,
  .scroll-frame::after {
    content: '';
    position: absolute;
    top: 0;
    bottom: 0;
    width: 28px;
    pointer-events: none;
    opacity: 0;
    transition: opacity 150ms;
    z-index: 1;
  }

  .scroll-frame::before {
    inset-inline-start: 0;
    background: linear-gradient(to right, var(--ie-cue-color, var(--ie-surface)) 15%, transparent);
  }

  .scroll-frame::after {
    inset-inline-end: 0;
    background: linear-gradient(to left, var(--ie-cue-color, var(--ie-surface)) 15%, transparent);
  }

  .scroll-frame:dir(rtl)::before {
    background: linear-gradient(to left, var(--ie-cue-color, var(--ie-surface)) 15%, transparent);
  }

  .scroll-frame:dir(rtl)::after {
    background: linear-gradient(to right, var(--ie-cue-color, var(--ie-surface)) 15%, transparent);
  }

  .scroll-frame[data-more~='start']::before,
  .scroll-frame[data-more~='end']::after {
    opacity: 1;
  }

  @media (prefers-reduced-motion: reduce) {
    .scroll-frame::before,
    .scroll-frame::after {
      transition: none;
    }
  }
`;
