/**
 * The zone picker: an editable combobox with list autocomplete, after the
 * WAI-ARIA Authoring Practices combobox pattern. Typing filters the zones
 * (anywhere in the name, spaces for underscores, aliases typed in full) and
 * highlights the best match; ArrowUp/ArrowDown move, Enter chooses, Escape
 * closes the list or reverts the text, Tab leaves.
 */

import { memo, useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { offsetLabel, prewarmOffsets } from './zoneOffsets';
import { searchZones } from './zones';

interface Props {
  readonly zones: readonly string[];
  /** The zone in use. */
  readonly value: string;
  readonly onChoose: (zone: string) => void;
}

export function ZonePicker({ zones, value, onChoose }: Props) {
  const id = useId();
  const listId = `${id}-zones`;
  const input = useRef<HTMLInputElement>(null);
  /** Set on focus, so the click that focused the input does not undo select-all. */
  const keepSelection = useRef(false);

  const [open, setOpen] = useState(false);
  /** What the person typed; null while the input just shows the zone in use. */
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(-1);

  const matches = useMemo(() => (query === null ? zones : searchZones(zones, query)), [zones, query]);
  const activeZone = open ? matches[active] : undefined;
  // Offsets in the list are those of the current minute.
  const minute = Math.floor(Date.now() / 60_000);

  useEffect(() => prewarmOffsets(zones), [zones]);

  // Keep the highlighted option in view as it moves.
  useEffect(() => {
    if (open && active >= 0) document.getElementById(optionId(id, active))?.scrollIntoView({ block: 'nearest' });
  }, [id, open, active]);

  const selectAllSoon = () => requestAnimationFrame(() => input.current?.select());

  const close = () => {
    setOpen(false);
    setQuery(null);
    setActive(-1);
  };

  const openList = (at: 'current' | 'first' | 'last') => {
    setOpen(true);
    if (at === 'current') setActive(Math.max(0, matches.indexOf(value)));
    else setActive(at === 'first' ? 0 : matches.length - 1);
  };

  const choose = useCallback(
    (zone: string) => {
      setOpen(false);
      setQuery(null);
      setActive(-1);
      if (zone !== value) onChoose(zone);
      requestAnimationFrame(() => input.current?.select()); // ready for the next search
    },
    [value, onChoose],
  );

  const move = (by: number) => {
    if (matches.length > 0) setActive((current) => (current + by + matches.length) % matches.length);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        if (!open) openList(query === null || event.altKey ? 'current' : 'first');
        else if (!event.altKey) move(1);
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (!open) openList(query === null ? 'current' : 'last');
        else move(-1);
        break;
      case 'Enter':
        if (activeZone !== undefined) {
          event.preventDefault();
          choose(activeZone);
        }
        break;
      case 'Escape':
        if (open || query !== null) {
          event.preventDefault();
          close();
          selectAllSoon();
        }
        break;
      case 'Tab':
        if (open) close();
        break;
    }
  };

  return (
    <div className="picker">
      <label className="picker__label" htmlFor={`${id}-input`}>
        Time zone
      </label>
      <div className="picker__field" data-open={open}>
        <input
          ref={input}
          id={`${id}-input`}
          className="picker__input"
          data-testid="zone-picker"
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={activeZone !== undefined ? optionId(id, active) : undefined}
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          placeholder="Search time zones"
          value={query ?? value}
          onChange={(event) => {
            setQuery(event.target.value);
            setOpen(true);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          onFocus={(event) => {
            event.target.select();
            keepSelection.current = true;
          }}
          onMouseUp={(event) => {
            // The click that focused the input would otherwise collapse the selection.
            if (keepSelection.current) event.preventDefault();
            keepSelection.current = false;
          }}
          onClick={() => !open && openList('current')}
          onBlur={close}
        />
        <svg className="picker__chevron" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path d="M4 6l4 4 4-4" />
        </svg>
      </div>
      {/* No empty dropdown over the hint when nothing matches: the list is hidden and the hint says so. */}
      <ul
        id={listId}
        className="picker__list"
        role="listbox"
        aria-label="Time zones"
        hidden={!open || matches.length === 0}
      >
        {open &&
          matches.map((zone, index) => (
            <ZoneOption
              key={zone}
              id={optionId(id, index)}
              zone={zone}
              index={index}
              minute={minute}
              active={index === active}
              current={zone === value}
              onPick={choose}
              onHover={setActive}
            />
          ))}
      </ul>
      {open && matches.length === 0 && (
        <p className="picker__empty" role="status" data-testid="zone-no-match">
          No time zone matches “{query}”
        </p>
      )}
    </div>
  );
}

function optionId(pickerId: string, index: number): string {
  return `${pickerId}-zone-${index}`;
}

interface OptionProps {
  readonly id: string;
  readonly zone: string;
  readonly index: number;
  readonly minute: number;
  readonly active: boolean;
  readonly current: boolean;
  readonly onPick: (zone: string) => void;
  readonly onHover: (index: number) => void;
}

/** One zone in the list; memoised, so moving the highlight redraws two rows, not four hundred. */
const ZoneOption = memo(function ZoneOption({ id, zone, index, minute, active, current, onPick, onHover }: OptionProps) {
  return (
    <li
      id={id}
      className="picker__option"
      role="option"
      aria-selected={active}
      data-current={current || undefined}
      // Keep focus in the input, so choosing does not blur it and close the list first.
      onMouseDown={(event) => event.preventDefault()}
      onMouseMove={() => !active && onHover(index)}
      onClick={() => onPick(zone)}
    >
      <span className="picker__name">{zone}</span>
      <span className="picker__offset">{offsetLabel(zone, minute * 60_000)}</span>
    </li>
  );
});
