/** The "Show milliseconds" switch: a labelled checkbox with the switch role, for everyone. */

import { chooseShowMilliseconds, useShowMilliseconds } from './showMilliseconds';

export function MillisecondsSwitch() {
  const show = useShowMilliseconds();
  return (
    <label className="ms-switch">
      <input
        type="checkbox"
        role="switch"
        className="ms-switch__input"
        checked={show}
        onChange={(event) => chooseShowMilliseconds(event.currentTarget.checked)}
        data-testid="show-ms"
      />
      Show milliseconds
    </label>
  );
}
