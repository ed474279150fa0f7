// The socket address follows the page: same host, ws or wss.
import { describe, expect, it } from 'vitest';
import { socketUrl } from './browserSocket';

describe('socketUrl', () => {
  it('follows the page: ws for http, wss for https, same host and port', () => {
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 'UTC')).toBe('ws://127.0.0.1:8080/ws?tz=UTC');
    expect(socketUrl({ protocol: 'https:', host: 'clock.example' }, 'Asia/Tokyo')).toBe(
      'wss://clock.example/ws?tz=Asia%2FTokyo',
    );
  });
});
