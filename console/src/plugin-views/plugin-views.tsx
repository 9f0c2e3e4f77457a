import type { FunctionComponent } from 'preact';
import { EndpointsPage } from '../pages/endpoints.tsx';
import { HeartbeatPage } from '../pages/heartbeat.tsx';
import { HeartbeatsPage } from '../pages/heartbeats.tsx';
import { SlaReportsView } from './sla-reports.tsx';
import { SlaExclusionWindowsView } from './sla-exclusion-windows.tsx';
import { SlaGroupsView } from './sla-groups.tsx';
import { SlaServicesView, SlaServiceView } from './sla-services.tsx';
import { StatusPageView } from './status-page.tsx';

/**
 * Richer views the console ships for some plugin pages, keyed by `plugin:path`. They show only while
 * the plugin declares the page (so only while it is loaded); every other declared page, a third-party
 * plugin's included, gets the generic table of its `list` operation.
 */
export const pluginViews: Record<string, FunctionComponent<{ id?: string }>> = {
  'sla:sla/services': (props) => (props.id ? <SlaServiceView id={props.id} /> : <SlaServicesView />),
  'sla:sla/groups': SlaGroupsView,
  'sla:sla/reports': SlaReportsView,
  'sla:sla/exclusion-windows': SlaExclusionWindowsView,
  'containers:heartbeats': (props) => (props.id ? <HeartbeatPage id={props.id} /> : <HeartbeatsPage />),
  'containers:endpoints': EndpointsPage,
  'containers:status-page': StatusPageView,
};
