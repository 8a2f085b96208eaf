import { Navigate, Route, Routes } from 'react-router';
import { RequireAuth } from './components/require-auth';
import { AppLayout } from './components/app-layout';
import { Notes } from './components/notes';
import { LoginPage } from './pages/login-page';
import { IncidentsPage } from './pages/incidents-page';
import { IncidentPage } from './pages/incident-page';
import { ActionsPage } from './pages/actions-page';
import { ActionPage } from './pages/action-page';
import { DeviceGroupsPage } from './pages/device-groups-page';
import { DevicesPage } from './pages/devices-page';
import { DevicePage } from './pages/device-page';
import { FilesPage } from './pages/files-page';
import { FilePage } from './pages/file-page';
import { IndicatorsPage } from './pages/indicators-page';
import { AnalysesPage } from './pages/analyses-page';
import { AnalysisPage } from './pages/analysis-page';
import { UsersPage } from './pages/users-page';
import { EnrollmentTokensPage } from './pages/enrollment-tokens-page';
import { YaraRulesPage } from './pages/yara-rules-page';
import { SettingsPage } from './pages/settings-page';
import { NotFoundPage } from './pages/not-found-page';

export function App() {
  return (
    <>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route
          element={
            <RequireAuth>
              <AppLayout />
            </RequireAuth>
          }
        >
          <Route index element={<Navigate to="/incidents" replace />} />
          <Route path="incidents" element={<IncidentsPage />} />
          <Route path="incidents/:id" element={<IncidentPage />} />
          <Route path="actions" element={<ActionsPage />} />
          <Route path="actions/:id" element={<ActionPage />} />
          <Route path="devices" element={<DevicesPage />} />
          <Route path="devices/:id" element={<DevicePage />} />
          <Route path="device-groups" element={<DeviceGroupsPage />} />
          <Route path="files" element={<FilesPage />} />
          <Route path="files/:id" element={<FilePage />} />
          <Route path="indicators" element={<IndicatorsPage />} />
          <Route path="analyses" element={<AnalysesPage />} />
          <Route path="analyses/:id" element={<AnalysisPage />} />
          <Route path="enrollment-tokens" element={<EnrollmentTokensPage />} />
          <Route path="yara-rules" element={<YaraRulesPage />} />
          <Route path="users" element={<UsersPage />} />
          <Route path="settings" element={<SettingsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
      <Notes />
    </>
  );
}
