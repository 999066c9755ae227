/** The top bar: where am I (dashboard) and where can I go; under it the status bar: how is sync going
 * (status, pending, Retry now, conflicts). */
import { useUi } from './contexts.ts';
import { ConnectionStatus } from './connection-status.tsx';
import { DashboardSwitcher } from './dashboard-switcher.tsx';
import { PendingSummary } from './pending-summary.tsx';
import { InstallButton } from './install-button.tsx';
import { SignOut } from './sign-out.tsx';
import { ThemeSwitch } from './theme-switch.tsx';
import type { Screen } from '../state/ui-state.ts';

export function Header() {
  const ui = useUi();
  const screen = ui.screen.value;
  const conflicts = ui.conflictCount.value;
  const go = (s: Screen) => () => (ui.screen.value = ui.screen.value === s ? 'board' : s);
  return (
    <>
      <header class="topbar">
        <h1 class="brand">Fieldboard</h1>
        <DashboardSwitcher />
        <nav class="nav" aria-label="Views">
          <button type="button" aria-pressed={screen === 'pending'} onClick={go('pending')}>
            Pending changes
          </button>
          <button type="button" aria-pressed={screen === 'activity'} onClick={go('activity')}>
            Activity
          </button>
          <button type="button" aria-pressed={screen === 'transfer'} onClick={go('transfer')}>
            Export or import
          </button>
          <InstallButton />
          <ThemeSwitch />
          <SignOut />
        </nav>
      </header>
      {/* Sync at a glance, on one line of fixed height that stays on screen: what appears in it (pending,
          Retry now, Conflicts) never moves the board under a finger. */}
      <div class="statusbar">
        <ConnectionStatus />
        <PendingSummary />
        {conflicts > 0 && (
          <button type="button" class="attention" aria-pressed={screen === 'conflicts'} onClick={go('conflicts')}>
            Conflicts ({conflicts})
          </button>
        )}
      </div>
    </>
  );
}
