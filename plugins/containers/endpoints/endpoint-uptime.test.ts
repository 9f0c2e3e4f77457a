import t from 'tap';
import { uptimeInWindows } from './endpoint-uptime.ts';

const h = (hour: number, minute = 0) => new Date(Date.UTC(2026, 2, 10, hour, minute));

t.test('uptime by time per window: only down counts, from creation to now', async (t) => {
  const windows = [
    { from: h(8), to: h(10) },
    { from: h(10), to: h(12) },
    { from: h(12), to: h(14) },
    { from: h(14), to: h(16) },
  ];
  const result = uptimeInWindows({
    flips: [
      { at: h(9, 30), to: 'up' },
      { at: h(11), to: 'down' },
      { at: h(11, 30), to: 'up' },
      { at: h(12), to: 'paused' },
    ],
    statusBefore: 'pending',
    createdAt: h(9),
    now: h(13),
    windows,
  });
  t.match(result[0], { uptimePercent: 100, downtimeSeconds: 0, monitoredSeconds: 3600, outages: 0 }, 'from creation, pending is not down');
  t.match(result[1], { uptimePercent: 75, downtimeSeconds: 1800, monitoredSeconds: 7200, outages: 1 });
  t.match(result[2], { uptimePercent: 100, monitoredSeconds: 3600 }, 'paused is not down; counted up to now');
  t.match(result[3], { uptimePercent: null, downtimeSeconds: null, monitoredSeconds: 0, outages: null }, 'the future');
  const before = uptimeInWindows({ flips: [], statusBefore: 'up', createdAt: h(12), now: h(13), windows: [{ from: h(8), to: h(10) }] });
  t.match(before[0], { uptimePercent: null, outages: null }, 'before it existed');
});

t.test('an outage that began before the first window counts from the window start', async (t) => {
  const [w] = uptimeInWindows({
    flips: [{ at: h(10, 30), to: 'up' }],
    statusBefore: 'down',
    createdAt: h(0),
    now: h(12),
    windows: [{ from: h(10), to: h(11) }],
  });
  t.match(w, { downtimeSeconds: 1800, uptimePercent: 50, outages: 0 });
});
