// Settings › Material libraries: the list (edited copy or shipped), and one
// library with its materials, edited and restored.
import { materialLibrariesApi } from '../api';
import { routeUrl, type Navigate } from '../route';
import { FileDocPage, FilesList } from './ServedFiles';

const hrefOf = (name: string) => routeUrl({ view: 'material-library', name });
const LIST = routeUrl({ view: 'settings', page: 'material-libraries' });

export function MaterialLibrariesPage({ navigate }: { navigate: Navigate }) {
  return <FilesList files={materialLibrariesApi} title="Material libraries" idField="library" hrefOf={hrefOf} navigate={navigate} testId="libraries" />;
}

export function MaterialLibraryPage({ name, navigate }: { name: string; navigate: Navigate }) {
  return (
    <FileDocPage
      files={materialLibrariesApi}
      name={name}
      noun="material library"
      idField="library"
      listHref={LIST}
      listTitle="Material libraries"
      navigate={navigate}
      testId="library"
    />
  );
}
