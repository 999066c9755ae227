/**
 * Light or dark: the person's choice (System, Light, Dark), remembered in this browser, and what it comes
 * to. "System" follows `prefers-color-scheme`, live. The outcome is `data-theme="light|dark"` on <html>,
 * which the stylesheet's one dark block keys on (src/styles.css), and the browser's own widgets follow
 * through `color-scheme`.
 */
import { computed, effect, signal, type ReadonlySignal } from '@preact/signals';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
export type Theme = 'light' | 'dark';

const KEY = 'fieldboard.theme';
const isChoice = (x: unknown): x is ThemeChoice => THEME_CHOICES.includes(x as ThemeChoice);

function readChoice(): ThemeChoice {
  try {
    const stored = globalThis.localStorage?.getItem(KEY);
    return isChoice(stored) ? stored : 'system';
  } catch {
    return 'system'; // storage may be blocked; the system's preference is a good answer
  }
}

const darkQuery = globalThis.matchMedia?.('(prefers-color-scheme: dark)') ?? null;
const systemDark = signal(darkQuery?.matches ?? false);
darkQuery?.addEventListener('change', (e) => (systemDark.value = e.matches));

const choiceSignal = signal<ThemeChoice>(readChoice());
export const themeChoice: ReadonlySignal<ThemeChoice> = choiceSignal;
export const theme: ReadonlySignal<Theme> = computed(() =>
  choiceSignal.value === 'system' ? (systemDark.value ? 'dark' : 'light') : choiceSignal.value,
);

export function chooseTheme(choice: ThemeChoice): void {
  choiceSignal.value = choice;
  try {
    if (choice === 'system') globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, choice);
  } catch {
    /* see readChoice: the choice holds for this page */
  }
}

/** Keeps <html data-theme> and the browser's theme colour in step; call once, before the first render. */
export function applyTheme(root: HTMLElement = document.documentElement): () => void {
  return effect(() => {
    root.dataset.theme = theme.value;
    document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme.value === 'dark' ? '#1c2026' : '#0b5cad');
  });
}
