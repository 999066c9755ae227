/** The person's light or dark choice (src/state/theme.ts): System, Light or Dark. */
import { chooseTheme, THEME_CHOICES, themeChoice, type ThemeChoice } from '../state/theme.ts';

const LABEL: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };

export function ThemeSwitch() {
  return (
    <label class="theme-switch">
      Theme
      <select value={themeChoice.value} onChange={(e) => chooseTheme(e.currentTarget.value as ThemeChoice)}>
        {THEME_CHOICES.map((c) => (
          <option key={c} value={c}>
            {LABEL[c]}
          </option>
        ))}
      </select>
    </label>
  );
}
