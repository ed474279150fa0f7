/**
 * The services the clock is assembled from, and which of them are answering
 * (one missing from a single frame is not down: the badge rule of connection.ts).
 */

import { SERVICES } from './protocol';

interface Props {
  readonly degraded: readonly string[];
  /** Frames are arriving; otherwise what the services do now is unknown. */
  readonly known: boolean;
}

export function ServicesPanel({ degraded, known }: Props) {
  return (
    <section className="panel services" aria-labelledby="services-title">
      <h2 className="panel__title" id="services-title">
        Services
      </h2>
      <ul className="services__list">
        {SERVICES.map((service) => {
          const health = !known ? 'unknown' : degraded.includes(service) ? 'down' : 'up';
          return (
            <li key={service} className="services__item" data-health={health}>
              <span className="services__dot" aria-hidden="true" />
              <span className="services__name">{service}</span>
              <span className="services__health">{HEALTH_TEXT[health]}</span>
            </li>
          );
        })}
      </ul>
      <p className="panel__note">Each frame is assembled from these gRPC services.</p>
    </section>
  );
}

const HEALTH_TEXT = { up: 'answering', down: 'not answering', unknown: 'unknown' } as const;
